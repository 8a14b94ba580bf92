"""headwatch: a posture monitor."""
