"""Pure: verdicts over time. The presence clock, the alert engine, the history's intervals."""
