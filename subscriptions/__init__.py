"""The subscription manager: desired destinations and subscriptions in a file, made so through SP-API."""
