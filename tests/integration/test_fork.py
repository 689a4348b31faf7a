"""test_fork.py - many processes: init, a fork bomb, killing parents and children.

init is pid 1 before the prompt and adopts orphans. `run forkbomb` (user/forkbomb.c)
forks from every process until the process limit refuses (EAGAIN); afterwards the
shell still runs programs, only init is left and `meminfo` is where it started.
`run -b forkbomb -t N` builds a tree of N sleeping processes; killing a mix of
parents and children (in an order drawn at random, printed with the failure)
leaves the orphans with parent 1, and once all are killed, init has reaped
everyone and `meminfo` is back where it started. Each runs on 1 and 4 CPUs.
"""
import random
import re

from pagoda import check, machine_test
from test_faults import settled_meminfo
from test_user import check_memory_back, kill_and_wait_gone, ps, run, run_ok, user_machine

TREE = 15                 # processes in the kill test's tree (4 levels)
SETTLE_ROUNDS = 100       # `sleep 100` rounds waiting for processes to go


def only_init_left(m, what):
    """Wait until `ps` lists only what the kernel started at boot (init, and the
    name server: kmain starts it after init); returns the table."""
    for _ in range(SETTLE_ROUNDS):
        table, out = ps(m)
        if 1 in table and {row[4] for row in table.values()} <= {"init", "nameserver"}:
            return table
        m.command("sleep 100")
    raise AssertionError("processes left after %s:\n%s" % (what, out))


@machine_test("init is pid 1, running, parent 0, before the first program")
def fork_init_is_pid1(firmware):
    m = user_machine(1)
    table, out = ps(m)
    check(1 in table and table[1][4] == "init" and table[1][0] == 0 and table[1][1] == "running",
          "ps does not show init as pid 1:\n" + out)
    out, pid, how = run(m, "hello")
    check(pid > 1 and how == "exited with status 0", "hello after init: pid %d, %s" % (pid, how))


def fork_bomb(smp):
    m = user_machine(smp)
    only_init_left(m, "the previous test")
    before = settled_meminfo(m)
    out, _ = run_ok(m, "forkbomb", timeout=300)
    check("stopped by the process limit" in out, "forkbomb was not stopped:\n" + out)
    check("kernel fault" not in out.lower() and "panic" not in out.lower(),
          "the kernel complained during the bomb:\n" + out)
    only_init_left(m, "the fork bomb")
    run_ok(m, "hello")                        # the kernel is still usable
    run_ok(m, "usertests fork_basic wait4_pid_forms", timeout=120)
    only_init_left(m, "usertests")
    check_memory_back(before, settled_meminfo(m), "a fork bomb")


@machine_test("a fork bomb stops at the process limit; the kernel works on, meminfo back")
def fork_bomb_1cpu(firmware):
    fork_bomb(1)


@machine_test("a fork bomb on 4 CPUs stops at the process limit; meminfo back")
def fork_bomb_4cpu(firmware):
    fork_bomb(4)


def tree_pids(m):
    """{pid: ppid} of the forkbomb tree's processes, once all TREE are there."""
    for _ in range(SETTLE_ROUNDS):
        table, out = ps(m)
        tree = {pid: row[0] for pid, row in table.items() if row[4] == "forkbomb"}
        if len(tree) == TREE:
            return tree
        m.command("sleep 100")
    raise AssertionError("the tree never had %d processes:\n%s" % (TREE, out))


def kill_mix(smp, seed):
    m = user_machine(smp)
    only_init_left(m, "the previous test")
    before = settled_meminfo(m)
    out = m.command("run -b forkbomb -t %d" % TREE)
    check("started in the background" in out, "run -b forkbomb printed:\n" + out)
    tree = tree_pids(m)
    rng = random.Random(seed)
    order = sorted(tree)
    rng.shuffle(order)
    # First a mix of parents and children (the root and inner nodes among them), then the rest.
    first = order[: TREE // 2]
    where = "seed %d, kill order %s" % (seed, order)
    for pid in first:
        kill_and_wait_gone(m, pid)
    table, listing = ps(m)
    for pid, ppid in tree.items():
        if pid in first:
            continue
        check(pid in table, "pid %d died with others (%s):\n%s" % (pid, where, listing))
        if ppid in first:
            check(table[pid][0] == 1, "orphan %d has parent %d, not init (%s):\n%s"
                  % (pid, table[pid][0], where, listing))
    for pid in order[TREE // 2:]:
        kill_and_wait_gone(m, pid)
    only_init_left(m, "killing the tree (%s)" % where)
    check_memory_back(before, settled_meminfo(m), "killing a tree of processes (%s)" % where)


@machine_test("killing a mix of parents and children: orphans go to init, meminfo back")
def fork_kill_mix_1cpu(firmware):
    kill_mix(1, random.randrange(1 << 30))


@machine_test("killing a mix of parents and children on 4 CPUs: meminfo back")
def fork_kill_mix_4cpu(firmware):
    kill_mix(4, random.randrange(1 << 30))
