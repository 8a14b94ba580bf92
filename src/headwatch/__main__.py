from headwatch.cli import main

main()
