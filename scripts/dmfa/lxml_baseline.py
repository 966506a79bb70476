#!/usr/bin/env python3
"""Baseline for the DmfA reader benchmark: lxml iterparse extracting the same fields as
art60-dmfa (employer, quarter, INSS, worker record, occupation with R/Q/S and dates, service
lines, remuneration codes) and printing the same summary as `art60 dmfa inspect --json`.

Memory stays bounded the usual lxml way: each NaturalPerson is cleared after use and the
already-processed siblings are deleted.

Usage: lxml_baseline.py FILE > summary.json
"""
import json
import sys

from lxml import etree


def num(el, tag):
    t = el.findtext(tag)
    return None if t is None else int(t)


def kbo_formatted(v):
    s = "%010d" % v
    return "%s.%s.%s" % (s[0:4], s[4:7], s[7:10])


def employer_label(noss, company):
    if company:
        k = kbo_formatted(company)
        return ("KBO %s" % k) if noss == 0 else ("ONSS %d (KBO %s)" % (noss, k))
    return "ONSS %d" % noss


def person_of(np):
    """The same fields the Rust reader keeps (model::PersonDeclaration)."""
    records = []
    for wr in np.iterfind("WorkerRecord"):
        occs = []
        for occ in wr.iterfind("Occupation"):
            services = [
                {
                    "sequence": num(s, "ServiceSequenceNbr"),
                    "code": num(s, "ServiceCode"),
                    "days": num(s, "ServiceNbrDays"),
                    "hours": num(s, "ServiceNbrHours"),
                }
                for s in occ.iterfind("Service")
            ]
            remuns = [
                {
                    "sequence": num(r, "RemunSequenceNbr"),
                    "code": num(r, "RemunCode"),
                    "amount": num(r, "RemunAmount"),
                }
                for r in occ.iterfind("Remun")
            ]
            occs.append(
                {
                    "sequence": num(occ, "OccupationSequenceNbr"),
                    "start": occ.findtext("OccupationStartingDate"),
                    "end": occ.findtext("OccupationEndingDate"),
                    "joint_committee": occ.findtext("JointCommissionNbr"),
                    "days_per_week": num(occ, "WorkingDaysSystem"),
                    "contract_type": num(occ, "ContractType"),
                    "reference_hours": num(occ, "RefMeanWorkingHours"),
                    "worker_status": occ.findtext("WorkerStatus"),
                    "mean_hours": num(occ, "MeanWorkingHours"),
                    "days_justification": occ.findtext("DaysJustification"),
                    "services": services,
                    "remunerations": remuns,
                }
            )
        records.append(
            {
                "employer_class": num(wr, "EmployerClass"),
                "worker_code": num(wr, "WorkerCode"),
                "quarter_start": wr.findtext("NOSSQuarterStartingDate"),
                "quarter_end": wr.findtext("NOSSQuarterEndingDate"),
                "occupations": occs,
            }
        )
    return {
        "sequence": num(np, "NaturalPersonSequenceNbr"),
        "inss": np.findtext("INSS"),
        "worker_records": records,
    }


def main(path):
    employers = set()
    per_quarter = {}
    persons = worker_records = occupations = service_lines = 0
    per_code = {}
    quarter = noss = company = None
    header = {"Quarter", "NOSSRegistrationNbr", "CompanyID"}
    for _, el in etree.iterparse(
        path, events=("end",), tag=("Quarter", "NOSSRegistrationNbr", "CompanyID", "NaturalPerson")
    ):
        tag = el.tag
        if tag in header:
            if el.getparent().tag != "EmployerDeclaration":
                continue
            v = int(el.text)
            if tag == "Quarter":
                quarter = "%dQ%d" % (v // 10, v % 10)
            elif tag == "NOSSRegistrationNbr":
                noss = v
            else:
                company = v
            continue
        p = person_of(el)
        employers.add(employer_label(noss, company))
        per_quarter[quarter] = per_quarter.get(quarter, 0) + 1
        persons += 1
        for wr in p["worker_records"]:
            worker_records += 1
            for occ in wr["occupations"]:
                occupations += 1
                for s in occ["services"]:
                    service_lines += 1
                    t = per_code.setdefault(s["code"], [0, 0, 0])
                    t[0] += 1
                    t[1] += s["days"]
                    t[2] += s["hours"] or 0
        el.clear()
        parent = el.getparent()
        while el.getprevious() is not None:
            del parent[0]
    out = {
        "employers": sorted(employers),
        "persons_per_quarter": dict(sorted(per_quarter.items())),
        "persons": persons,
        "worker_records": worker_records,
        "occupations": occupations,
        "service_lines": service_lines,
        "days_per_code": {
            str(c): {"lines": t[0], "days": t[1] / 100, "hours": t[2] / 100}
            for c, t in sorted(per_code.items())
        },
        "rejected": 0,
    }
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
