from promptyard.cli.launcher import main

main()
