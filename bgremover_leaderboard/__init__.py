"""The benchmark harness (``python -m bgremover_leaderboard``) and the app's Leaderboard tab."""
