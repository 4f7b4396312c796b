"""Sub-commands of the `maixkpu` CLI: every module here defines
`register(sub: argparse._SubParsersAction) -> None`, adding its parser(s) with
`set_defaults(func=handler)` where handler(args) returns the exit code."""
