#!/usr/bin/env python3
"""Writes N generated art60 calc requests as JSON lines (plan mode, 0-5 prior jobs, 0-2
extending events, both regimes), deterministic for a given seed. Used by calc_batch.sh."""
import datetime as dt
import json
import random
import sys

def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 60)
    out = sys.stdout
    base = dt.date(2015, 1, 5)
    for _ in range(n):
        start = base + dt.timedelta(days=rng.randrange(0, 365 * 13))
        age = rng.randrange(18, 60)
        birth = dt.date(start.year - age, rng.randrange(1, 13), rng.randrange(1, 29))
        q = rng.choice([38, 38, 38, 30.4, 19, 24])
        req = {
            "mode": "plan",
            "today": start.isoformat(),
            "person": {"birth_date": birth.isoformat()},
            "contract": {"start": start.isoformat(), "days_per_week": 5, "weekly_hours": q, "reference_hours": 38},
            "history": [],
        }
        cursor = start - dt.timedelta(days=rng.randrange(20, 200))
        for _ in range(rng.randrange(0, 6)):
            length = rng.randrange(30, 400)
            end = cursor
            begin = end - dt.timedelta(days=length)
            req["history"].append({
                "kind": "work", "start": begin.isoformat(), "end": end.isoformat(),
                "regime": {"days_per_week": 5, "weekly_hours": rng.choice([38, 38, 19, 24]), "reference_hours": 38},
            })
            cursor = begin - dt.timedelta(days=rng.randrange(10, 300))
        for kind in rng.sample(["insured_sickness", "career_break", "detention"], rng.randrange(0, 3)):
            length = rng.randrange(20, 300)
            end = cursor
            begin = end - dt.timedelta(days=length)
            req["history"].append({"kind": kind, "start": begin.isoformat(), "end": end.isoformat()})
            cursor = begin - dt.timedelta(days=5)
        out.write(json.dumps(req, separators=(",", ":")))
        out.write("\n")

if __name__ == "__main__":
    main()
