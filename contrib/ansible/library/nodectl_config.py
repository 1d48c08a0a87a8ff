#!/usr/bin/python3
# Ansible module: apply a nodectl node configuration the way an operator would by hand —
# validate, plan, apply inside a confirm window, check the gateway answers, confirm — so a
# change that cuts the node off is rolled back by the node itself (nodectl's watchdog) even
# when the controller never comes back. See docs/fleet.md and contrib/ansible/README.md.
from __future__ import annotations

import json
import shlex
import time

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: nodectl_config
short_description: Apply /etc/nodectl/node.yaml with plan, confirm window and a gateway check
description:
  - Runs C(nodectl config validate), then C(config plan). No operations means C(changed=false).
  - In check mode it stops after the plan; with C(--diff) the plan's operations are the diff.
  - Otherwise C(config apply --confirm TIMEOUT), a validated ARP probe of the gateway (IPv4) or a
    ping (IPv6, needs iputils-ping), then C(config confirm) and a second plan that must be empty.
  - A failed apply is rolled back by nodectl and reported as failed (C(rolled_back=true)); an
    unreachable gateway reverts the change at once (C(config recover)) and fails.
  - A plan that re-creates, bounces, takes down or re-enslaves links that are up (the plan's
    C(disruption)) fails the task before anything changes unless C(allow_disruption=true), which
    passes C(--allow-disruption) to C(config apply).
options:
  src: {description: Path of the configuration file on the node., required: true, type: path}
  netns: {description: Network namespace to act in (nodectl -n)., type: str}
  state_dir: {description: nodectl state directory (default /var/lib/nodectl)., type: path}
  confirm_timeout: {description: Seconds before an unconfirmed apply is rolled back., type: int, default: 120}
  gateway: {description: Address that must answer before confirming; default mgmt.gateway of src., type: str}
  reach_tries: {description: Probes of the gateway before giving up (about one a second)., type: int, default: 5}
  prune: {description: Remove interfaces nodectl created that src no longer declares., type: bool, default: true}
  allow_disruption: {description: Apply a plan that re-creates, bounces, takes down or re-enslaves links that are up., type: bool, default: false}
  nodectl: {description: The nodectl command (split like a shell would)., type: str, default: nodectl}
"""

RETURN = r"""
operations: {description: The plan's operations (empty when nothing changes)., type: list}
rolled_back: {description: The apply failed and nodectl rolled every step back., type: bool}
reverted: {description: The gateway did not answer and the change was reverted., type: bool}
disruption: {description: The links that are up which the plan interrupts (name, effects, steps)., type: list}
"""


def main() -> None:
    m = AnsibleModule(
        argument_spec=dict(
            src=dict(type='path', required=True),
            netns=dict(type='str'),
            state_dir=dict(type='path'),
            confirm_timeout=dict(type='int', default=120),
            gateway=dict(type='str'),
            reach_tries=dict(type='int', default=5),
            prune=dict(type='bool', default=True),
            allow_disruption=dict(type='bool', default=False),
            nodectl=dict(type='str', default='nodectl'),
        ),
        supports_check_mode=True,
    )
    p = m.params
    cli = shlex.split(p['nodectl'])
    scope = (['-n', p['netns']] if p['netns'] else []) + (['--state-dir', p['state_dir']] if p['state_dir'] else [])
    prune = [] if p['prune'] else ['--no-prune']

    def run(*args: str) -> tuple[int, str, str]:
        return m.run_command(cli + list(args), check_rc=False)

    rc, out, err = run('config', 'validate', p['src'])
    if rc != 0:
        m.fail_json(msg='invalid configuration: %s' % (err or out).strip(), rc=rc)

    def plan() -> tuple[int, dict]:
        rc, out, err = run('config', 'plan', p['src'], '--json', *scope, *prune)
        if rc not in (0, 100):  # 0 no change, 100 drift; 1 cannot apply, 2 usage, 3 invalid
            m.fail_json(msg='config plan failed: %s' % (err or out).strip(), rc=rc)
        return rc, json.loads(out)

    _, first = plan()
    ops = [s['text'] for s in first.get('steps', [])]
    for w in first.get('warnings', []):
        m.warn('nodectl: %s' % (w if isinstance(w, str) else json.dumps(w)))
    disruption = first.get('disruption', [])
    result = dict(changed=bool(ops), operations=ops, rolled_back=False, reverted=False, disruption=disruption)
    if m._diff and ops:
        result['diff'] = dict(prepared=''.join('%s %s\n' % (s['marker'], s['text']) for s in first['steps']))
    if not ops or m.check_mode:
        m.exit_json(**result)
    # refused here, before the apply, so that exit 1 of the apply keeps meaning "rolled back"
    if disruption and not p['allow_disruption']:
        result.update(changed=False)
        m.fail_json(msg='the plan would disrupt links that are up: %s; nothing was changed (allow_disruption: true applies it)' % ', '.join(
            '%s (%s)' % (d['name'], ', '.join(d['effects'])) for d in disruption), **result)

    allow = ['--allow-disruption'] if p['allow_disruption'] else []
    rc, out, err = run('config', 'apply', p['src'], '--json', '--confirm', str(p['confirm_timeout']), *scope, *prune, *allow)
    if rc != 0:
        # nodectl undid every step it had begun; exit 1 is "failed and rolled back".
        result.update(changed=False, rolled_back=(rc == 1))
        m.fail_json(msg='config apply failed%s: %s' % (' and was rolled back' if rc == 1 else '', (err or out).strip()), rc=rc, **result)

    gateway = p['gateway'] or gateway_of(p['src'])
    if gateway and not reachable(m, cli, p, gateway):
        rc, out, err = run('config', 'recover', '--json', *scope)
        result.update(changed=rc != 0, reverted=rc == 0)
        m.fail_json(msg='gateway %s did not answer after the apply; %s' % (gateway, 'the change was reverted' if rc == 0 else 'REVERT FAILED: %s' % (err or out).strip()), **result)
    if not gateway:
        m.warn('no gateway given and none in mgmt.gateway of %s: confirmed without a reachability check' % p['src'])

    rc, out, err = run('config', 'confirm', '--json', *scope)
    if rc != 0:
        m.fail_json(msg='config confirm failed (the watchdog may have rolled back): %s' % (err or out).strip(), **result)
    rc, after = plan()
    if rc != 0:
        m.fail_json(msg='after apply the node still differs from %s: %s' % (p['src'], [s['text'] for s in after['steps']]), **result)
    m.exit_json(**result)


def gateway_of(src: str) -> str | None:
    """mgmt.gateway.ipv4 (else ipv6) of the file, when it has one."""
    try:
        import yaml  # ansible-core depends on PyYAML
        with open(src, encoding='utf-8') as f:
            doc = yaml.safe_load(f) or {}
        gw = (doc.get('mgmt') or {}).get('gateway') or {}
        return gw.get('ipv4') or gw.get('ipv6')
    except Exception:  # an unreadable file was already refused by validate
        return None


def reachable(m: AnsibleModule, cli: list, p: dict, gateway: str) -> bool:
    ns = ['ip', '-n', p['netns']] if p['netns'] else ['ip']
    for attempt in range(max(1, p['reach_tries'])):
        if attempt:
            time.sleep(1)
        if ':' in gateway:
            cmd = (['ip', 'netns', 'exec', p['netns']] if p['netns'] else []) + ['ping', '-6', '-c', '1', '-W', '1', gateway]
            if m.run_command(cmd, check_rc=False)[0] == 0:
                return True
            continue
        # IPv4: a validated ARP probe out of the interface the route to the gateway uses.
        rc, out, _ = m.run_command(ns + ['-j', 'route', 'get', gateway], check_rc=False)
        try:
            dev = json.loads(out)[0]['dev'] if rc == 0 else None
        except (ValueError, IndexError, KeyError):
            dev = None
        if not dev:
            continue
        scope = ['-n', p['netns']] if p['netns'] else []
        if m.run_command(cli + ['arp', 'probe', dev, gateway, '--count', '1', '--timeout', '500', *scope], check_rc=False)[0] == 0:
            return True
    return False


if __name__ == '__main__':
    main()
