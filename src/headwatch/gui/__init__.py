"""Desktop front ends (Qt): the tray icon and its preview window."""
