from identity_svc.entrypoints.cli import main

main()
