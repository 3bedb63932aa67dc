from pittgoogle_cli.cli import main

main()
