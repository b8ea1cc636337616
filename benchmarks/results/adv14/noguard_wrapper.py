import dataclasses, runpy, sys
import bridgewatch.analysis.attack as at
orig = at.defence_config
def patched(base):
    cfg = orig(base)
    return dataclasses.replace(cfg, establishment=dataclasses.replace(cfg.establishment, guard_capture=False))
at.defence_config = patched
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
