from event_svc.adapters.orm import metadata
from taquilla_runtime.migrations import run_env

run_env(metadata)
