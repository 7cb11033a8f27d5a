from ferryman.cli import entry

entry()
