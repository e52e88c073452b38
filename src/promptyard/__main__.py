from promptyard.cli.main import app

app(prog_name="promptyard")
