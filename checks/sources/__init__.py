"""Where the checks' data comes from: the QBO client, the Finale client and the Snapshot loader."""
