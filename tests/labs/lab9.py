"""Lab 9 rubric: the scheduler, pick-next policy and work stealing
(docs/labs/lab9-scheduler.md).

Parts (scripts/lab.py parts 9), all in kernel/sched/sched.c: sched_pick_local
(pick_locked), sched_slice_tick (slice_tick), sched_place (choose_cpu),
sched_find_stealable (find_stealable), sched_steal (steal). The host tests
drive the policy with simulated CPUs and a simulated clock
(tests/host/test_sched.c); one QEMU test checks the real kernel on 4 CPUs.
"""
TITLE = "The scheduler: pick-next policy, time slices, placement and work stealing"

RUBRIC = [
    # picking the next thread (sched_pick_local)
    (4, "host", "test_sched:sched/pick_order",
     "picks take the head of the highest non-empty level; an empty queue idles"),
    (3, "host", "test_sched:sched/round_robin",
     "3 threads of one level take turns in order, 100 +- a slice of 300 ticks"),
    (3, "host", "test_sched:sched/priorities",
     "a low thread never runs beside high ones; runs while they sleep; a wake takes the CPU back"),
    # time slices (sched_slice_tick)
    (5, "host", "test_sched:sched/slice_length",
     "turns last exactly a slice; alone at its level a thread keeps the CPU; an idle CPU's "
     "tick sees a ready thread"),
    (2, "host", "test_sched:sched/alone_keeps_cpu",
     "a thread alone at its level is never switched out"),
    # placement (sched_place)
    (4, "host", "test_sched:sched/placement_least_loaded",
     "a thread goes to the least loaded CPU it allows; ties: its last CPU, then the lowest"),
    (3, "host", "test_sched:sched/placement",
     "new threads spread over idle CPUs; a woken thread goes to an idle CPU, else stays"),
    # what may be stolen (sched_find_stealable)
    (4, "host", "test_sched:sched/steal_choice",
     "stealing takes the first thread of the highest level that may move: not on_cpu, "
     "not pinned"),
    (3, "host", "test_sched:sched/steal_busiest",
     "an empty CPU steals from the busiest queue, highest level first"),
    (3, "host", "test_sched:sched/steal_affinity",
     "stealing skips threads whose affinity excludes the thief, takes the next busiest"),
    (4, "host", "test_sched:sched/on_cpu_never_stolen",
     "a thread still switching out is neither stolen nor queued elsewhere; a wake before "
     "schedule() just runs on"),
    # stealing (sched_steal)
    (6, "host", "test_sched:sched/steal_balances",
     "12 threads made on CPU 0 of 4: the queues even out to 3 each, every thread gets a "
     "fair share"),
    (4, "host", "test_sched:sched/tick_pull_and_wake_elsewhere",
     "an idle CPU's tick pulls work; a busy one only from a queue 2 longer; a sleeper wakes "
     "onto an idle CPU, which is told"),
    (2, "host", "test_sched:sched/cpus_64",
     "64 CPUs online one by one; CPU 63 at the mask's edge queues and runs"),
    # the real kernel (placement and stealing together)
    (4, "qemu", "test_lab9.spinners_even_out",
     "-smp 4: `spawn spin 8` leaves two spinners on each CPU, each of them running"),
]


def skeleton_probe(m):
    """What the lab 9 skeleton says about its stubs. The scheduler runs all the
    time on every CPU, so its stubs say TODO once per boot, before the shell
    starts (sched_policy_init calls each part once), not once per command,
    which would put the line into other commands' output at random. The
    probe returns the boot's output with that of `spawn spin 2` and
    `threads`, which run into the stubs again."""
    boot = m.buf.split("pagoda> ", 1)[0]
    return boot + m.command("spawn spin 2") + m.command("threads")
