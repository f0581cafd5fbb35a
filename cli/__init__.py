"""kcolor's Click commands, installed as `kcolor.cli` (the source folder is the top-level cli/)."""
