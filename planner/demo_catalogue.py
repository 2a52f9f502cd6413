"""Believable backlog items for the demo councils, by default theme.

Each entry is (title, problem statement). seed_demo picks from these per council.
"""

from __future__ import annotations

CATALOGUE: dict[str, list[tuple[str, str]]] = {
    "Procurement": [
        (
            "Agree a digital procurement route with the procurement team",
            "Every digital purchase goes through the full tender process, so small discovery "
            "work takes four months to start.",
        ),
        (
            "Join the G-Cloud and Digital Outcomes frameworks",
            "We cannot call off from national frameworks because legal has not approved the "
            "terms, so suppliers are re-tendered each time.",
        ),
        (
            "Create a low-value purchase route for software trials",
            "Teams cannot trial a £500 tool without a three-quote exercise, so nobody tries "
            "anything new.",
        ),
        (
            "Write outcome-based specifications for the next web platform",
            "Specifications list features rather than user needs, so we buy what the supplier "
            "already sells.",
        ),
        (
            "Publish a pipeline of upcoming digital contracts",
            "Local SMEs do not know what we plan to buy, so only large suppliers bid.",
        ),
    ],
    "Outsourcing and contracts": [
        (
            "Plan the exit from the revenues and benefits outsourcing contract",
            "The contract ends in 2028 and nobody owns the exit plan or knows what data we get "
            "back.",
        ),
        (
            "Bring the website content team back in house",
            "The outsourced content team takes ten days to publish a change, so service "
            "information is often wrong.",
        ),
        (
            "Renegotiate the CRM licence before auto-renewal",
            "The CRM renews automatically for five years at a 12% uplift unless we give notice.",
        ),
        (
            "Review change-request charges in the ICT managed service",
            "Every small change costs £1,200 in change-request fees, so teams work around the "
            "system.",
        ),
        (
            "Add data-return and API clauses to contract templates",
            "Suppliers charge to give us our own data, and the contracts do not require open APIs.",
        ),
    ],
    "Data sharing": [
        (
            "Agree a data-sharing agreement with the NHS trust for hospital discharge",
            "Social workers re-key discharge notices from email, so care packages start late.",
        ),
        (
            "Build a single view of the household for early help",
            "Six systems hold information about the same families and staff cannot see the "
            "whole picture.",
        ),
        (
            "Publish open data on bin collection and street works",
            "Residents and app makers ask for the same data by FOI every month.",
        ),
        (
            "Set up a data protection impact assessment template for digital projects",
            "DPIAs take months because each team starts from a blank page.",
        ),
        (
            "Share address data with the fire service for safe and well visits",
            "We both hold vulnerable-resident lists but cannot legally match them yet.",
        ),
        (
            "Create a data catalogue of what each service holds",
            "Nobody knows which datasets exist, who owns them or where they are kept.",
        ),
    ],
    "Leadership and culture": [
        (
            "Digital training for the corporate leadership team",
            "Directors sign off digital business cases without a shared understanding of agile "
            "delivery or user research.",
        ),
        (
            "Name a senior responsible owner for every digital project",
            "Projects stall because no director owns the outcome or the budget.",
        ),
        (
            "Introduce show-and-tells across directorates",
            "Work is invisible outside the team, so good ideas are not reused.",
        ),
        (
            "Agree a digital strategy with councillors",
            "The last digital strategy expired in 2022 and members have no shared ambition.",
        ),
        (
            "Give service managers time for digital change",
            "Service managers are asked to lead change on top of a full operational job.",
        ),
    ],
    "Prioritisation and strategy": [
        (
            "Agree one front door for digital requests",
            "Requests arrive by email, corridor and committee, so the team cannot say no or "
            "what comes next.",
        ),
        (
            "Map the council's services and their volumes",
            "We do not know which services have the most contact, so we cannot see where to start.",
        ),
        (
            "Set up a quarterly portfolio review with finance",
            "Digital spend is approved case by case, with no view of the whole portfolio.",
        ),
        (
            "Measure cost per transaction by channel",
            "We claim channel shift saves money but cannot show what each phone call costs.",
        ),
        (
            "Retire duplicate systems after the restructure",
            "Two directorates still run separate case systems for the same work.",
        ),
    ],
    "Self-service and channel shift": [
        (
            "Online missed bin reports that go straight to the crews",
            "Residents phone the contact centre to report missed bins, which is our "
            "highest-volume call.",
        ),
        (
            "Council tax moves and direct debits online",
            "Moving home means a 20-minute phone call and a paper form for council tax.",
        ),
        (
            "Book a household waste recycling centre slot online",
            "Slots are booked by phone, and the line is engaged on Saturday mornings.",
        ),
        (
            "Self-service parking permits with instant approval",
            "Permit applications are checked by hand and take three weeks.",
        ),
        (
            "Report a pothole with a photo and map pin",
            "Reports by phone lack location detail, so inspectors visit the wrong place.",
        ),
        (
            "Residents' account with a single view of requests",
            "Residents cannot see what they have asked for or where it has got to, so they "
            "chase by phone.",
        ),
        (
            "Online blue badge renewals",
            "Renewals are posted and keyed in by hand, with a six-week backlog in spring.",
        ),
    ],
    "Service and process redesign": [
        (
            "Redesign the adult social care financial assessment",
            "The 28-page form is the main reason care starts late and people phone for help.",
        ),
        (
            "Fix the back-office process behind housing repairs",
            "Repairs logged online are re-keyed three times before a trade operative gets them.",
        ),
        (
            "Redesign school admissions appeals",
            "Appeals run on paper and email, with peaks the team cannot handle.",
        ),
        (
            "Automate the free school meals eligibility check",
            "Families apply separately for each benefit although we already hold the evidence.",
        ),
        (
            "Redesign the licensing service end to end",
            "Licence applications bounce between three teams with no single owner.",
        ),
        (
            "Streamline complaints handling across directorates",
            "Each directorate logs complaints differently, so we miss ombudsman deadlines.",
        ),
    ],
    "Skills and shared capability": [
        (
            "Set up a shared centre of excellence with neighbouring councils",
            "Each council hires its own user researcher and designer, if it can find one.",
        ),
        (
            "Grow an in-house user research capability",
            "We have no user researcher, so services are designed from assumptions.",
        ),
        (
            "Digital apprenticeships in the IT team",
            "Half of the infrastructure team retires within five years and we have no pipeline.",
        ),
        (
            "Shared component library for council forms",
            "Every form is built from scratch and fails accessibility checks.",
        ),
        (
            "Join a regional low-code community of practice",
            "Our two low-code developers have nobody to review their work.",
        ),
    ],
    "Identity and access": [
        (
            "Single sign-on for residents across council services",
            "Residents need a different login for council tax, waste, parking and housing.",
        ),
        (
            "Adopt GOV.UK One Login for identity checks",
            "We run our own identity checks, by post, for benefits and blue badges.",
        ),
        (
            "Multi-factor authentication for all staff",
            "Cyber insurance now requires MFA and a third of staff accounts lack it.",
        ),
        (
            "Joiners, movers and leavers process for system access",
            "Leavers keep access to some systems for months.",
        ),
        (
            "Verify landlords once for licensing and housing benefit",
            "Landlords prove who they are separately to three teams.",
        ),
    ],
}

OWNERS = [
    "Priya Shah",
    "Tom Evans",
    "Siân Roberts",
    "Aled Jones",
    "Grace Okafor",
    "Mark Taylor",
    "Hannah Clarke",
    "Dafydd Hughes",
    "Fatima Begum",
    "",
]
