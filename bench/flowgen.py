"""Generated flows for the compile benchmark and the round-trip property tests."""

from __future__ import annotations

import random


def generate_flow(steps: int, seed: int = 0) -> str:
    """A valid flow with `steps` steps: menus, asks, fetches, handoffs and branches in a chain."""
    rng = random.Random(seed)
    out = [
        'flow generated "A generated hotline"',
        "  language en-US",
        "  defaults",
        "    input keys and speech",
        "    noinput after 5s",
        "    attempts 3",
        "",
        "hours office",
        '  timezone "Europe/Paris"',
        "  mon-fri 08:00-18:00",
        "",
        "queue general",
        "  skills general",
        "  strategy longest_idle",
        "",
        "on failure handoff general reason \"gave up\"",
        "",
        "start",
        '  say "Welcome."',
        "  go s0",
    ]
    for i in range(steps):
        nxt = f"s{i + 1}" if i + 1 < steps else "goodbye"
        kind = i % 4
        out.append("")
        if kind == 0:
            out += [
                f"# menu number {i}",
                f"menu s{i}",
                f'  prompt "Menu {i}. Press 1 or say next. Press 2 for an agent."',
                f'  1 "next", "continue {i}" -> {nxt}',
                '  2 "agent" -> goodbye',
                f'  on nomatch 1 say "Sorry, menu {i} again."',
            ]
        elif kind == 1:
            n = rng.randint(4, 10)
            out += [
                f"step s{i}",
                f"  ask v{i} as digits({n})",
                f'    prompt "Please enter {n} digits."',
                f"  if v{i} == \"{'1' * n}\"",
                f'    say "You entered ones: {{v{i} as digits}}."',
                "  else",
                "    pause 300ms",
                f"  go {nxt}",
            ]
        elif kind == 2:
            out += [
                f"step s{i}",
                f'  fetch r{i} = GET "{{env.api}}/items/{i}" timeout 2s',
                "    on error",
                '      say "The service is down."',
                '      handoff general reason "service down"',
                f'  say "Item {i} costs {{r{i}.price as currency}}."',
                f"  go {nxt}",
            ]
        else:
            out += [
                f"step s{i}",
                f"  set n{i} = {i} * 2 + 1",
                f"  if open(office) and n{i} > 3",
                f'    say "We are open. {{n{i} as number}}."',
                f"  go {nxt}",
            ]
    out += ["", "step goodbye", '  say "Goodbye."', "  hangup", ""]
    return "\n".join(out)
