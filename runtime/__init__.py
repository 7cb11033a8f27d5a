"""ferryman.runtime: scheduler, one executor per task kind, journal, bridge."""
