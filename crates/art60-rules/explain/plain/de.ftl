# Die Erklärung in einfacher Sprache (Issue 13 §2): zuerst die Antwort in einem Satz, dann warum.
days-word = { $n ->
    [one] Tag
   *[other] Tage
}
unit-word = { $unit ->
    [half_days] { $n ->
        [one] halber Tag
       *[other] halbe Tage
    }
   *[days] { $n ->
        [one] Tag
       *[other] Tage
    }
}
answer-planned = Der Vertrag kann am { $end } enden. Die Person kann ab dem { $da } Arbeitslosengeld beantragen; bis dahin umfasst der Vertrag { $days } { $days ->
    [one] Arbeitstag
   *[other] Arbeitstage
}.
answer-fixed = Das LfA hat das Vertragsende auf den { $end } festgesetzt. Die Person kann ab dem { $da } Arbeitslosengeld beantragen; der Vertrag umfasst { $days } { $days ->
    [one] Arbeitstag
   *[other] Arbeitstage
}.
answer-fixed-not-admissible = Nach den Regeln und den Angaben des Antrags erfüllt die Person die Voraussetzung an diesem Datum noch nicht.
answer-no-stage = Es ist keine Wartezeit nötig: Die Person kann ab dem { $da } Arbeitslosengeld beantragen.
answer-assessed = { $admissible ->
    [yes] Am { $da } ist die Person zum Arbeitslosengeld zulassungsfähig.
   *[no] Am { $da } ist die Person nicht zum Arbeitslosengeld zulassungsfähig.
}
answer-unreachable = Kein Enddatum bis zum { $until } macht die Person zulassungsfähig: höchstens { $best } { $best_unit } von { $required } erforderlichen.
why-rules-new = Es gelten die Regeln, die seit dem { $from } in Kraft sind, weil der Leistungsantrag (DA) am { $da } gestellt wird.
why-rules-old = Es gelten die Regeln von vor dem { $until }, weil der Leistungsantrag (DA) am { $da } gestellt wird.
why-rules-undated = Für einen Leistungsantrag (DA) am { $da } gelten die Regeln { $regime }.
why-required = { $regime ->
    [new] Erforderlich sind { $required } { $required_unit } Arbeit in den { $months } Monaten vor dem DA, in jedem Alter (hier { $age } Jahre).
   *[old] Mit { $age } Jahren sind { $required } { $required_unit } Arbeit in den { $months } Monaten vor dem DA erforderlich.
}
why-window = Diese { $months } Monate reichen vom { $start } bis zum { $end }.
why-window-extended = Diese Monate reichen, verlängert, vom { $start } bis zum { $end }.
why-cutoff = Nur die Tage nach der vorigen Zulassung vom { $admission } zählen: Der Zeitraum beginnt am { $start }.
why-extension = { $kind } vom { $from } bis zum { $to }: Der Referenzzeitraum verlängert sich um { $length }.
why-period-counted = { $period } ({ $kind }, vom { $from } bis zum { $to }) zählt für { $counted } { $counted_unit }{ $capped ->
    [yes] , nach der Obergrenze jedes Quartals
   *[no] {""}
}{ $partial ->
    [yes] {" "}(nur ab dem { $window_start })
   *[no] {""}
}.
why-period-before-window = { $period } ({ $kind }, vom { $from } bis zum { $to }) zählt nicht: Er endet vor dem Beginn des Referenzzeitraums am { $window_start }.
why-period-before-admission = { $period } ({ $kind }, vom { $from } bis zum { $to }) zählt nicht: Er liegt vor der vorigen Zulassung; nur die Tage ab dem { $window_start } zählen.
why-period-not-counted = { $period } ({ $kind }, vom { $from } bis zum { $to }) zählt nicht: Es ist keine Lohnarbeit, und das Gesetz stellt ihn Arbeitstagen nicht gleich.
why-contract = Der Vertrag bringt { $contribution } { $contribution_unit }{ $converted ->
    [yes] : seine { $days } Arbeitstage, auf eine Sechstagewoche umgerechnet
   *[no] {""}
}.
why-total = Insgesamt: { $counted } { $counted_unit } von { $required } nötigen.
why-no-stage = { $reason ->
    [art42_old] Die Person war bereits zugelassen und kann ohne neue Wartezeit wieder zugelassen werden (alter Art. 42).
    [art42_new] Die Person hat noch einen laufenden Anspruch und erhält ihn ohne neue Wartezeit zurück (neuer Art. 42).
   *[other] Die Wartezeit ist bereits vor dem Vertragsbeginn erfüllt.
}
why-right = { $unlimited ->
    [yes] Der Anspruch auf Arbeitslosengeld ist zeitlich unbegrenzt.
   *[no] Der Anspruch auf Arbeitslosengeld dauert { $months } Monate, vom { $from } bis zum { $until }.
}
why-alternative = Mit der anderen Methode, die Quartale zu begrenzen, wäre das Enddatum der { $end }.
why-alternative-safe = Ein Ende am { $safe } genügt nach beiden Methoden.
why-provisional = Vorläufig: { $detail }.
why-review = Vom LfA zu prüfen: { $detail }.
length-years = { $n } { $n ->
    [one] Jahr
   *[other] Jahre
}
length-months = { $n } { $n ->
    [one] Monat
   *[other] Monate
}
length-days = { $n } { $n ->
    [one] Tag
   *[other] Tage
}
length-and = und
