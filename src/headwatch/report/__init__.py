"""What people read: the analyze table and JSON, the history report, plots, the HTML page, the status line."""
