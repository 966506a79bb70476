#!/usr/bin/env python3
"""Writes N varied art60 calc requests as JSON lines, deterministic for a seed: both modes and
regimes, part-time contracts with pay, absences, DmfA-declared quarters (unpaid and open
codes), assimilated and extending periods (child raising with births), foreign work, previous
admissions, last paid unemployment. Used by same_answers.sh to check that a refactoring of the
engine gives the same results and explanations. Not a benchmark set."""
import datetime as dt
import json
import random
import sys

CATS = ["effective_work"] * 6 + ["holiday_pay", "paid_public_holiday", "guaranteed_pay",
        "compensatory_rest", "other_paid_minimum", "maternity", "strike", "temporary_unemployment",
        "insured_sickness", "unpaid_absence", "educational_leave", "waiting_or_bad_weather",
        "maternity_protection", "unknown"]
EXT = ["insured_sickness", "career_break", "detention", "self_employment", "non_onss_work",
       "military_service", "force_majeure", "unpaid_study", "child_raising", "work_accident",
       "maternity", "temporary_unemployment", "unpaid_leave", "full_unemployment", "other"]
COUNTRIES = ["FR", "NL", "DE", "LU", "TN", "MA", "US", "BA"]
ABS = ["guaranteed_pay_sickness", "insured_sickness", "work_accident", "maternity", "unpaid_leave",
       "temporary_unemployment", "strike", "occupational_disease"]


def iso(d):
    return d.isoformat()


def quarter_of(d):
    return d.year, (d.month - 1) // 3 + 1


def quarters(a, b):
    y, q = quarter_of(a)
    out = []
    while (y, q) <= quarter_of(b):
        out.append(f"{y}Q{q}")
        q += 1
        if q == 5:
            y, q = y + 1, 1
    return out


def regime(rng, part_time_share=0.3):
    r = rng.choice([5, 5, 5, 6, 4, 5.5])
    if rng.random() < part_time_share:
        return {"days_per_week": r, "weekly_hours": rng.choice([19, 24, 30.4, 12, 10, 25]), "reference_hours": 38}
    s = rng.choice([38, 38, 40])
    return {"days_per_week": r, "weekly_hours": s, "reference_hours": s}


def one(rng):
    base = dt.date(2014, 1, 6)
    start = base + dt.timedelta(days=rng.randrange(0, 365 * 13))
    age = rng.randrange(18, 62)
    birth = dt.date(start.year - age, rng.randrange(1, 13), rng.randrange(1, 29))
    assess = rng.random() < 0.15
    today = start - dt.timedelta(days=rng.randrange(0, 120))
    req = {"mode": "assess" if assess else "plan", "today": iso(today),
           "person": {"birth_date": iso(birth)}, "history": []}
    if rng.random() < 0.05:
        req["person"]["dock_worker_or_fisher"] = True
    c = regime(rng, 0.35)
    contract = {"start": iso(start), **c}
    if rng.random() < 0.3:
        contract["pay"] = rng.choice([{"monthly": rng.choice([900, 1500, 2100, 2500])},
                                      {"hourly": rng.choice([11.5, 14.2, 16.8])}])
    if rng.random() < 0.1 and c["days_per_week"] == 5:
        contract["weekdays"] = rng.sample(["mon", "tue", "wed", "thu", "fri", "sat"], 5)
    if rng.random() < 0.2:
        contract["absences"] = []
        a = start + dt.timedelta(days=rng.randrange(5, 200))
        for _ in range(rng.randrange(1, 3)):
            b = a + dt.timedelta(days=rng.randrange(0, 60))
            contract["absences"].append({"kind": rng.choice(ABS), "start": iso(a), "end": iso(b)})
            a = b + dt.timedelta(days=rng.randrange(1, 120))
    if assess:
        da = start + dt.timedelta(days=rng.randrange(30, 700))
        req["application_date"] = iso(da)
        contract["end"] = iso(da - dt.timedelta(days=1))
        if rng.random() < 0.3:
            contract = None
    if contract is not None:
        req["contract"] = contract
    cursor = start - dt.timedelta(days=rng.randrange(1, 200))
    for _ in range(rng.randrange(0, 5)):
        length = rng.randrange(10, 260)
        end = cursor
        begin = end - dt.timedelta(days=length)
        foreign = rng.random() < 0.12
        h = {"kind": "foreign_work" if foreign else "work", "start": iso(begin), "end": iso(end)}
        if rng.random() < 0.85:
            h["regime"] = regime(rng)
        if foreign:
            h["abroad"] = {"country": rng.choice(COUNTRIES)}
            k = rng.random()
            if k < 0.15:
                h["abroad"]["frontier_worker"] = True
            elif k < 0.25:
                h["abroad"]["posted"] = True
            elif k < 0.3:
                h["abroad"]["ssom"] = True
        elif rng.random() < 0.3:
            reg = h.get("regime") or {"days_per_week": 5, "weekly_hours": 38, "reference_hours": 38}
            qs = quarters(begin, end)
            decl = []
            for qq in qs[: rng.randrange(1, len(qs) + 1)]:
                lines = []
                for _ in range(rng.randrange(1, 4)):
                    line = {"category": rng.choice(CATS), "days": rng.randrange(0, 66)}
                    if reg["weekly_hours"] != reg["reference_hours"]:
                        line["hours"] = round(line["days"] * reg["weekly_hours"] / reg["days_per_week"], 2)
                    lines.append(line)
                decl.append({"quarter": qq, "lines": lines})
            h["quarters"] = decl
            h["source"] = "dmfa"
        if rng.random() < 0.3:
            h["employer"] = rng.choice(["A", "B", "C"])
        if rng.random() < 0.2:
            h["pay"] = {"monthly": rng.choice([1200, 1800, 2300])}
        if rng.random() < 0.05:
            h["provisional"] = True
        req["history"].append(h)
        cursor = begin - dt.timedelta(days=rng.randrange(1, 500))
    # Events between the jobs: in the gaps (or before the oldest job), never over work.
    for _ in range(rng.randrange(0, 3)):
        kind = rng.choice(EXT)
        end = cursor
        begin = end - dt.timedelta(days=rng.randrange(5, 900))
        cursor = begin - dt.timedelta(days=rng.randrange(1, 60))
        h = {"kind": kind, "start": iso(begin), "end": iso(end)}
        if kind == "child_raising":
            h["child_birth_date"] = iso(begin - dt.timedelta(days=rng.randrange(0, 900)))
            if rng.random() < 0.2:
                h["child_disabled"] = True
        req["history"].append(h)
    rng.shuffle(req["history"])
    if rng.random() < 0.15:
        req["previous_admissions"] = [{"application_date": iso(start - dt.timedelta(days=rng.randrange(30, 2000))),
                                       "article": rng.choice(["art30", "art33", "art32", "art42", "art42bis", "insertion"])}]
    if rng.random() < 0.15:
        lp = start - dt.timedelta(days=rng.randrange(10, 1500))
        req["last_paid_unemployment"] = {"day": iso(lp)} if rng.random() < 0.7 else {"agr_month": iso(lp.replace(day=1))}
    if rng.random() < 0.05:
        req["current_right_until"] = iso(start + dt.timedelta(days=rng.randrange(-100, 400)))
    if rng.random() < 0.1:
        req["career"] = {"days": rng.randrange(0, 9000), "used_days": rng.randrange(0, 300)}
    return req


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 12)
    for _ in range(n):
        sys.stdout.write(json.dumps(one(rng), separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
