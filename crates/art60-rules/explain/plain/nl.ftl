# De uitleg in gewone taal (issue 13 §2): eerst het antwoord in één zin, dan waarom.
days-word = { $n ->
    [one] dag
   *[other] dagen
}
unit-word = { $unit ->
    [half_days] { $n ->
        [one] halve dag
       *[other] halve dagen
    }
   *[days] { $n ->
        [one] dag
       *[other] dagen
    }
}
answer-planned = Het contract kan eindigen op { $end }. De persoon kan werkloosheidsuitkeringen aanvragen vanaf { $da }; tot dan telt het contract { $days } { $days ->
    [one] arbeidsdag
   *[other] arbeidsdagen
}.
answer-fixed = De RVA heeft het einde van het contract vastgesteld op { $end }. De persoon kan werkloosheidsuitkeringen aanvragen vanaf { $da }; het contract telt { $days } { $days ->
    [one] arbeidsdag
   *[other] arbeidsdagen
}.
answer-fixed-not-admissible = Volgens de regels en de gegevens van de aanvraag voldoet de persoon op die datum nog niet aan de voorwaarde.
answer-no-stage = Er is geen wachttijd nodig: de persoon kan werkloosheidsuitkeringen aanvragen vanaf { $da }.
answer-assessed = { $admissible ->
    [yes] Op { $da } is de persoon toelaatbaar tot de werkloosheidsuitkeringen.
   *[no] Op { $da } is de persoon niet toelaatbaar tot de werkloosheidsuitkeringen.
}
answer-unreachable = Geen enkele einddatum tot { $until } maakt de persoon toelaatbaar: hoogstens { $best } { $best_unit } van de { $required } vereiste.
why-rules-new = De regels die sinds { $from } gelden, zijn van toepassing, omdat de uitkeringsaanvraag (DA) op { $da } valt.
why-rules-old = De regels van vóór { $until } zijn van toepassing, omdat de uitkeringsaanvraag (DA) op { $da } valt.
why-rules-undated = De regels { $regime } gelden voor een uitkeringsaanvraag (DA) op { $da }.
why-required = { $regime ->
    [new] Er zijn { $required } { $required_unit } arbeid nodig in de { $months } maanden vóór de DA, op elke leeftijd (hier { $age } jaar).
   *[old] Op { $age }-jarige leeftijd zijn er { $required } { $required_unit } arbeid nodig in de { $months } maanden vóór de DA.
}
why-window = Die { $months } maanden lopen van { $start } tot { $end }.
why-window-extended = Die maanden lopen, verlengd, van { $start } tot { $end }.
why-cutoff = Alleen de dagen na de vorige toelating van { $admission } tellen: de periode begint op { $start }.
why-extension = { $kind } van { $from } tot { $to }: de referteperiode wordt verlengd met { $length }.
why-period-counted = { $period } ({ $kind }, van { $from } tot { $to }) telt voor { $counted } { $counted_unit }{ $capped ->
    [yes] , na het plafond van elk kwartaal
   *[no] {""}
}{ $partial ->
    [yes] {" "}(alleen vanaf { $window_start })
   *[no] {""}
}.
why-period-before-window = { $period } ({ $kind }, van { $from } tot { $to }) telt niet: ze eindigt vóór het begin van de referteperiode op { $window_start }.
why-period-before-admission = { $period } ({ $kind }, van { $from } tot { $to }) telt niet: ze ligt vóór de vorige toelating; alleen de dagen vanaf { $window_start } tellen.
why-period-not-counted = { $period } ({ $kind }, van { $from } tot { $to }) telt niet: het is geen arbeid in loondienst en de wet stelt ze niet gelijk met arbeidsdagen.
why-contract = Het contract brengt { $contribution } { $contribution_unit } aan{ $converted ->
    [yes] : zijn { $days } arbeidsdagen, geteld op een week van zes dagen
   *[no] {""}
}.
why-total = Totaal: { $counted } { $counted_unit } van de { $required } nodige.
why-no-stage = { $reason ->
    [art42_old] De persoon werd al eerder toegelaten en kan zonder nieuwe wachttijd opnieuw worden toegelaten (oud art. 42).
    [art42_new] De persoon heeft nog een lopend recht op uitkeringen en krijgt het terug zonder nieuwe wachttijd (nieuw art. 42).
   *[other] De wachttijd is al vervuld vóór het begin van het contract.
}
why-right = { $unlimited ->
    [yes] Het recht op uitkeringen is onbeperkt in de tijd.
   *[no] Het recht op uitkeringen duurt { $months } maanden, van { $from } tot { $until }.
}
why-alternative = Met de andere methode om de kwartalen te begrenzen zou de einddatum { $end } zijn.
why-alternative-safe = Een einde op { $safe } volstaat volgens beide methoden.
why-provisional = Voorlopig: { $detail }.
why-review = Na te kijken door de RVA: { $detail }.
length-years = { $n } jaar
length-months = { $n } { $n ->
    [one] maand
   *[other] maanden
}
length-days = { $n } { $n ->
    [one] dag
   *[other] dagen
}
length-and = en
