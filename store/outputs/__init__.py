"""The output tables' writes and reads, each guarded so that older state never overwrites newer."""
