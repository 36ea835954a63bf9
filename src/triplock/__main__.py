from triplock.cli import run

run()
