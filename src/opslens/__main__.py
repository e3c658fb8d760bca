from opslens.cli import main

main()
