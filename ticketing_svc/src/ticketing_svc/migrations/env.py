from taquilla_runtime.migrations import run_env
from ticketing_svc.adapters.orm import metadata

run_env(metadata)
