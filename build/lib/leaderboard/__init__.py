"""The benchmark harness (``python -m leaderboard``) and the app's Leaderboard tab."""
