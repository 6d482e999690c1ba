from identra.cli.main import app

app()
