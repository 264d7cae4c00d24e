"""One module per verb of the command line; each has add_arguments(parser) and run(args) -> exit code."""
