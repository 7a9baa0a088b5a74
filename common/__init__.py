"""What every app shares and no app owns. It imports no app of ours: profiles, programs, pairings and
checkins may all import it, and it stays at the bottom of the dependency order."""
