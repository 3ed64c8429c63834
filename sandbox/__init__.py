"""Local simulators of the QuickBooks Online and Finale APIs, and the sample companies they serve."""
