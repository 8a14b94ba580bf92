"""Every setting, declared once and validated when built: from a file, the environment or code."""
