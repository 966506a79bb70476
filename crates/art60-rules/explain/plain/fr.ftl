# The explanation in plain language (issue 13 §2): the answer in one sentence, then why.
# Dates arrive written dd/mm/yyyy, numbers with their decimal comma; $n-like numbers select
# the plural.
days-word = { $n ->
    [one] jour
   *[other] jours
}
unit-word = { $unit ->
    [half_days] { $n ->
        [one] demi-journée
       *[other] demi-journées
    }
   *[days] { $n ->
        [one] jour
       *[other] jours
    }
}
answer-planned = Le contrat peut se terminer le { $end }. La personne pourra demander des allocations de chômage à partir du { $da } ; d'ici là, le contrat compte { $days } { $days_word } de travail.
answer-fixed = L'ONEM a fixé la fin du contrat au { $end }. La personne pourra demander des allocations de chômage à partir du { $da } ; le contrat compte { $days } { $days_word } de travail.
answer-fixed-not-admissible = Selon les règles et les données de la demande, la personne ne remplit pas encore la condition à cette date.
answer-no-stage = Aucun stage n'est nécessaire : la personne peut demander des allocations de chômage dès le { $da }.
answer-assessed = { $admissible ->
    [yes] Le { $da }, la personne est admissible aux allocations de chômage.
   *[no] Le { $da }, la personne n'est pas admissible aux allocations de chômage.
}
answer-unreachable = Aucune date de fin jusqu'au { $until } ne rend la personne admissible : au mieux { $best } { $best_unit } sur les { $required } requis.
why-rules-new = Les règles en vigueur depuis le { $from } s'appliquent, parce que la demande d'allocations (DA) se fera le { $da }.
why-rules-old = Les règles d'avant le { $until } s'appliquent, parce que la demande d'allocations (DA) se fera le { $da }.
why-rules-undated = Les règles { $regime } s'appliquent à une demande d'allocations (DA) le { $da }.
why-required = { $regime ->
    [new] Il faut { $required } { $required_unit } de travail dans les { $months } mois avant la DA, quel que soit l'âge ({ $age } ans ici).
   *[old] À { $age } ans, il faut { $required } { $required_unit } de travail dans les { $months } mois avant la DA.
}
why-window = Ces { $months } mois vont du { $start } au { $end }.
why-window-extended = Ces mois, allongés, vont du { $start } au { $end }.
why-cutoff = Seuls les jours après l'admission précédente du { $admission } comptent : la période commence le { $start }.
why-extension = { $kind } du { $from } au { $to } : la période de référence est allongée de { $length }.
why-period-counted = { $period } ({ $kind }, du { $from } au { $to }) compte pour { $counted } { $counted_unit }{ $capped ->
    [yes] , après le plafond de chaque trimestre
   *[no] {""}
}{ $partial ->
    [yes] {" "}(seulement à partir du { $window_start })
   *[no] {""}
}.
why-period-before-window = { $period } ({ $kind }, du { $from } au { $to }) ne compte pas : elle se termine avant le début de la période de référence, le { $window_start }.
why-period-before-admission = { $period } ({ $kind }, du { $from } au { $to }) ne compte pas : elle précède l'admission précédente ; seuls les jours à partir du { $window_start } comptent.
why-period-not-counted = { $period } ({ $kind }, du { $from } au { $to }) ne compte pas : ce n'est pas du travail salarié et la loi ne l'assimile pas à des jours de travail.
why-contract = Le contrat apporte { $contribution } { $contribution_unit }{ $converted ->
    [yes] {" "}: ses { $days } jours de travail, comptés sur une semaine de six jours
   *[no] {""}
}.
why-total = Total : { $counted } { $counted_unit } sur les { $required } nécessaires.
why-no-stage = { $reason ->
    [art42_old] La personne a déjà été admise aux allocations et peut être réadmise sans nouveau stage (ancien art. 42).
    [art42_new] La personne a encore un droit aux allocations en cours et le retrouve sans nouveau stage (nouvel art. 42).
   *[other] Le stage est déjà accompli avant le début du contrat.
}
why-right = { $unlimited ->
    [yes] Le droit aux allocations est illimité dans le temps.
   *[no] Le droit aux allocations dure { $months } mois, du { $from } au { $until }.
}
why-alternative = Avec l'autre méthode de plafonnement des trimestres, la date de fin serait le { $end }.
why-alternative-safe = Une fin au { $safe } convient selon les deux méthodes.
why-provisional = Provisoire : { $detail }.
why-review = À vérifier par l'ONEM : { $detail }.
length-years = { $n } { $n ->
    [one] an
   *[other] ans
}
length-months = { $n } mois
length-days = { $n } { $n ->
    [one] jour
   *[other] jours
}
length-and = et
