"""Rasa as an NLU server: the client with its fallback (client.py), and the commands that
install, train and serve a bot's data with Rasa 3.6 in its own Python 3.10 venv (server.py)."""
