# The explanation in plain language (issue 13 §2): the answer in one sentence, then why.
days-word = { $n ->
    [one] day
   *[other] days
}
unit-word = { $unit ->
    [half_days] { $n ->
        [one] half-day
       *[other] half-days
    }
   *[days] { $n ->
        [one] day
       *[other] days
    }
}
answer-planned = The contract may end on { $end }. The person may apply for unemployment benefits from { $da }; until then the contract holds { $days } working { $days_word }.
answer-fixed = ONEM set the end of the contract on { $end }. The person may apply for unemployment benefits from { $da }; the contract holds { $days } working { $days_word }.
answer-fixed-not-admissible = By the rules and the request's data, the person does not meet the condition yet on that date.
answer-no-stage = No qualifying period is needed: the person may apply for unemployment benefits from { $da }.
answer-assessed = { $admissible ->
    [yes] On { $da } the person is admissible to unemployment benefits.
   *[no] On { $da } the person is not admissible to unemployment benefits.
}
answer-unreachable = No end date until { $until } makes the person admissible: at best { $best } { $best_unit } of the { $required } required.
why-rules-new = The rules in force since { $from } apply, because the benefit application (DA) will be made on { $da }.
why-rules-old = The rules in force before { $until } apply, because the benefit application (DA) will be made on { $da }.
why-rules-undated = The { $regime } rules apply to a benefit application (DA) on { $da }.
why-required = { $regime ->
    [new] { $required } { $required_unit } of work are needed in the { $months } months before the DA, at any age ({ $age } here).
   *[old] At { $age }, { $required } { $required_unit } of work are needed in the { $months } months before the DA.
}
why-window = Those { $months } months run from { $start } to { $end }.
why-window-extended = Those months, extended, run from { $start } to { $end }.
why-cutoff = Only days after the previous admission on { $admission } count: the period starts on { $start }.
why-extension = { $kind } from { $from } to { $to }: the reference period is extended by { $length }.
why-period-counted = { $period } ({ $kind }, { $from } to { $to }) counts for { $counted } { $counted_unit }{ $capped ->
    [yes] , after each quarter's cap
   *[no] {""}
}{ $partial ->
    [yes] {" "}(only from { $window_start })
   *[no] {""}
}.
why-period-before-window = { $period } ({ $kind }, { $from } to { $to }) does not count: it ends before the reference period starts on { $window_start }.
why-period-before-admission = { $period } ({ $kind }, { $from } to { $to }) does not count: it precedes the previous admission; only days from { $window_start } count.
why-period-not-counted = { $period } ({ $kind }, { $from } to { $to }) does not count: it is not salaried work and the law does not treat it as working days.
why-contract = The contract brings { $contribution } { $contribution_unit }{ $converted ->
    [yes] : its { $days } working days, counted on a six-day week
   *[no] {""}
}.
why-total = In all: { $counted } { $counted_unit } of the { $required } needed.
why-no-stage = { $reason ->
    [art42_old] The person was admitted before and may be readmitted without a new qualifying period (old art. 42).
    [art42_new] The person still has a running right to benefits and gets it back without a new qualifying period (new art. 42).
   *[other] The qualifying period is already completed before the contract starts.
}
why-right = { $unlimited ->
    [yes] The right to benefits is unlimited in time.
   *[no] The right to benefits lasts { $months } months, from { $from } to { $until }.
}
why-alternative = With the other method of capping the quarters, the end date would be { $end }.
why-alternative-safe = An end on { $safe } suits both methods.
why-provisional = Provisional: { $detail }.
why-review = For ONEM to check: { $detail }.
length-years = { $n } { $n ->
    [one] year
   *[other] years
}
length-months = { $n } { $n ->
    [one] month
   *[other] months
}
length-days = { $n } { $n ->
    [one] day
   *[other] days
}
length-and = and
