"""The desktop and the operating system: notifications, hooks, keys, the control channel,
the login service, the network guard."""
