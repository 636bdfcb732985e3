"""Compare the attention settings recorded by teacher adaptation with a
connector's own (HKSANC phase 2 -> phase 3)."""
from typing import Dict, List


def _flatten(settings: dict, prefix: str = '') -> Dict[str, object]:
    flat: Dict[str, object] = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f'{prefix}{key}.'))
        else:
            flat[f'{prefix}{key}'] = (list(value) if isinstance(
                value, tuple) else value)
    return flat


def settings_differences(recorded: dict, own: dict) -> List[str]:
    """``'key: recorded -> own'`` for every setting that differs."""
    a, b = _flatten(recorded), _flatten(own)
    return [
        f'{key}: {a.get(key, "<not recorded>")!r} in the checkpoint, '
        f'{b.get(key, "<not set>")!r} in the config'
        for key in sorted(set(a) | set(b)) if a.get(key) != b.get(key)
    ]


def check_same_settings(recorded: dict, own: dict, source: str) -> None:
    """Raise unless the recorded connector settings equal ``own``.

    Raises:
        ValueError: Listing each difference and the fix.
    """
    differences = settings_differences(recorded, own)
    if differences:
        raise ValueError(
            f'The attention estimators in {source} were adapted with other '
            'settings than this config\'s teacher connector: '
            + '; '.join(differences) + '. Run the adaptation phase (phase 2) '
            'with the same query and attention_cfg as the distillation '
            'config, or set the distillation config to the recorded ones.')
