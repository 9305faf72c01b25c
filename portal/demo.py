"""Demo data: the launch of the first biennial report on the Global Compact for Migration,
and upcoming events of the United Nations Network on Migration.

The launch really took place on Tuesday 1 December 2020; the hour used here is illustrative,
as are the stream addresses. The upcoming events and their speakers are fictional.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from portal.events.models import Event, EventFormat, EventStatus, ProgrammeItem, Speaker, Stream
from portal.extensions import db
from portal.organizers.services import create_organizer, find_organizer, set_password
from portal.timeutil import from_local, now_utc, to_zone

GENEVA = "Europe/Zurich"
NEW_YORK = "America/New_York"

_ILLUSTRATIVE = {
    "en": "The time shown is illustrative: our sources give the date of the launch "
    "but not its hour.",
    "fr": "L'heure indiquée est donnée à titre d'exemple\u00a0: nos sources précisent la date du "
    "lancement, mais pas son heure.",
    "es": "La hora indicada es ilustrativa: nuestras fuentes dan la fecha de la presentación, "
    "pero no su hora.",
}
_FICTIONAL = {
    "en": "This is a fictional event in the portal's demonstration data; its speakers are "
    "invented.",
    "fr": "Cet événement est fictif et fait partie des données de démonstration du portail\u00a0; "
    "ses intervenants sont inventés.",
    "es": "Este evento es ficticio y forma parte de los datos de demostración del portal; "
    "sus panelistas son inventados.",
}


def _streams(slug: str) -> list[dict[str, str]]:
    return [
        {"language": lang, "url": f"https://stream.example.org/{slug}/{lang}"}
        for lang in ("en", "es", "fr")
    ]


def _report_launch() -> dict[str, Any]:
    day = date(2020, 12, 1)
    return {
        "slug": "gcm-biennial-report-launch-2020",
        "timezone": GENEVA,
        "starts": datetime.combine(day, time(15, 0)),
        "ends": datetime.combine(day, time(16, 30)),
        "format": EventFormat.ONLINE,
        "venue": "Genève",
        "title": {
            "en": "“From promise to action”: launch of the Secretary-General's first biennial "
            "report on the Global Compact for Safe, Orderly and Regular Migration",
            "fr": "«\u00a0De la promesse à l'action\u00a0»\u00a0: lancement du premier "
            "rapport biennal du Secrétaire général sur le Pacte mondial pour des migrations "
            "sûres, ordonnées et régulières",
            "es": "«De la promesa a la acción»: presentación del primer informe bienal del "
            "Secretario General sobre el Pacto Mundial para la Migración Segura, Ordenada "
            "y Regular",
        },
        "summary": {
            "en": "The United Nations Network on Migration presents the first biennial report of "
            "the Secretary-General on the implementation of the Global Compact for Migration.",
            "fr": "Le Réseau des Nations Unies sur les migrations présente le premier rapport "
            "biennal du Secrétaire général sur la mise en œuvre du Pacte mondial sur les "
            "migrations.",
            "es": "La Red de las Naciones Unidas sobre la Migración presenta el primer informe "
            "bienal del Secretario General sobre la aplicación del Pacto Mundial para la "
            "Migración.",
        },
        "description": {
            "en": "Two years after the adoption of the Global Compact for Safe, Orderly and "
            "Regular Migration, the report of the Secretary-General, requested by General "
            "Assembly resolution 73/195, takes stock of progress and sets out "
            "recommendations. The launch is broadcast in English, Spanish and French on the "
            "Network's website.\n\nPress contact: the Network secretariat.\n\n"
            + _ILLUSTRATIVE["en"],
            "fr": "Deux ans après l'adoption du Pacte mondial pour des migrations sûres, "
            "ordonnées et régulières, le rapport du Secrétaire général, demandé par la "
            "résolution 73/195 de l'Assemblée générale, fait le point sur les progrès "
            "accomplis et formule des recommandations. Le lancement est retransmis en "
            "direct en anglais, en espagnol et en français sur le site web du Réseau."
            "\n\nContact presse\u00a0: le secrétariat du Réseau.\n\n" + _ILLUSTRATIVE["fr"],
            "es": "Dos años después de la aprobación del Pacto Mundial para la Migración "
            "Segura, Ordenada y Regular, el informe del Secretario General, solicitado por "
            "la resolución 73/195 de la Asamblea General, hace balance de los avances y "
            "formula recomendaciones. La presentación se transmite en directo en español, "
            "francés e inglés en el sitio web de la Red.\n\nContacto de prensa: la "
            "secretaría de la Red.\n\n" + _ILLUSTRATIVE["es"],
        },
        "speakers": [
            {
                "name": "António Guterres",
                "role": {
                    "en": "Opening video message",
                    "fr": "Message vidéo d'ouverture",
                    "es": "Mensaje en vídeo de apertura",
                },
                "function": {
                    "en": "Secretary-General",
                    "fr": "Secrétaire général",
                    "es": "Secretario General",
                },
                "organization": {
                    "en": "United Nations",
                    "fr": "Organisation des Nations Unies",
                    "es": "Naciones Unidas",
                },
            },
            {
                "name": "António Vitorino",
                "role": {"en": "Remarks", "fr": "Allocution", "es": "Intervención"},
                "function": {
                    "en": "Director General of IOM and Coordinator of the United Nations Network "
                    "on Migration",
                    "fr": "Directeur général de l'OIM et Coordonnateur du Réseau des Nations "
                    "Unies sur les migrations",
                    "es": "Director General de la OIM y Coordinador de la Red de las Naciones "
                    "Unidas sobre la Migración",
                },
                "organization": {
                    "en": "International Organization for Migration (IOM)",
                    "fr": "Organisation internationale pour les migrations (OIM)",
                    "es": "Organización Internacional para las Migraciones (OIM)",
                },
            },
            {
                "name": "Sylvia Lopez-Ekra",
                "role": {"en": "Remarks", "fr": "Allocution", "es": "Intervención"},
                "function": {
                    "en": "United Nations Resident Coordinator in Morocco",
                    "fr": "Coordonnatrice résidente des Nations Unies au Maroc",
                    "es": "Coordinadora Residente de las Naciones Unidas en Marruecos",
                },
                "organization": {
                    "en": "United Nations",
                    "fr": "Organisation des Nations Unies",
                    "es": "Naciones Unidas",
                },
            },
        ],
        "programme": [
            (
                time(15, 0),
                {
                    "en": "Opening video message by the Secretary-General",
                    "fr": "Message vidéo d'ouverture du Secrétaire général",
                    "es": "Mensaje en vídeo de apertura del Secretario General",
                },
            ),
            (
                time(15, 10),
                {
                    "en": "Presentation of the report",
                    "fr": "Présentation du rapport",
                    "es": "Presentación del informe",
                },
            ),
            (
                time(15, 40),
                {
                    "en": "The view from the country level",
                    "fr": "Le point de vue des pays",
                    "es": "La perspectiva de los países",
                },
            ),
            (
                time(16, 10),
                {
                    "en": "Questions from the press and closing",
                    "fr": "Questions de la presse et clôture",
                    "es": "Preguntas de la prensa y clausura",
                },
            ),
        ],
        "streams": _streams("gcm-biennial-report-launch-2020"),
    }


def _country_networks_briefing(today: date) -> dict[str, Any]:
    day = today + timedelta(days=28)
    return {
        "slug": "country-networks-briefing",
        "timezone": GENEVA,
        "starts": datetime.combine(day, time(15, 0)),
        "ends": datetime.combine(day, time(16, 30)),
        "format": EventFormat.HYBRID,
        "venue": "Palais des Nations, Genève",
        "capacity_in_person": 80,
        "capacity_online": None,
        "registration_opens": datetime.combine(today - timedelta(days=7), time(9, 0)),
        "registration_closes": datetime.combine(day - timedelta(days=1), time(18, 0)),
        "title": {
            "en": "Fifty country networks on migration: a briefing for Member States",
            "fr": "Cinquante réseaux nationaux sur les migrations\u00a0: séance d'information à "
            "l'intention des États membres",
            "es": "Cincuenta redes nacionales sobre la migración: sesión informativa para los "
            "Estados Miembros",
        },
        "summary": {
            "en": "With Zambia the latest to join, the United Nations Network on Migration now "
            "counts fifty country networks. How do they support governments in "
            "implementing the Global Compact?",
            "fr": "Avec la Zambie, dernier en date, le Réseau des Nations Unies sur les "
            "migrations compte désormais cinquante réseaux nationaux. Comment aident-ils "
            "les gouvernements à mettre en œuvre le Pacte mondial\u00a0?",
            "es": "Con Zambia como la más reciente, la Red de las Naciones Unidas sobre la "
            "Migración cuenta ya con cincuenta redes nacionales. ¿Cómo apoyan a los "
            "gobiernos en la aplicación del Pacto Mundial?",
        },
        "description": {
            "en": "Coordinators of country networks share what works when the United Nations "
            "system supports a government's migration policy together. Delegates may "
            "attend in person in Geneva or follow online.\n\n" + _FICTIONAL["en"],
            "fr": "Des coordonnateurs de réseaux nationaux présentent ce qui fonctionne lorsque "
            "le système des Nations Unies appuie ensemble la politique migratoire d'un "
            "gouvernement. Les délégués peuvent y assister en présentiel à Genève ou la "
            "suivre en ligne.\n\n" + _FICTIONAL["fr"],
            "es": "Coordinadores de redes nacionales explican lo que funciona cuando el sistema "
            "de las Naciones Unidas apoya conjuntamente la política migratoria de un "
            "gobierno. Los delegados pueden asistir de forma presencial en Ginebra o "
            "seguirla en línea.\n\n" + _FICTIONAL["es"],
        },
        "speakers": [
            {
                "name": "Amina Diallo",
                "role": {"en": "Moderator", "fr": "Modératrice", "es": "Moderadora"},
                "function": {
                    "en": "Head of the Network secretariat",
                    "fr": "Cheffe du secrétariat du Réseau",
                    "es": "Jefa de la secretaría de la Red",
                },
                "organization": {
                    "en": "United Nations Network on Migration",
                    "fr": "Réseau des Nations Unies sur les migrations",
                    "es": "Red de las Naciones Unidas sobre la Migración",
                },
            },
            {
                "name": "Lubinda Mwale",
                "role": {"en": "Panellist", "fr": "Intervenant", "es": "Panelista"},
                "function": {
                    "en": "Coordinator of the country network in Zambia",
                    "fr": "Coordonnateur du réseau national en Zambie",
                    "es": "Coordinador de la red nacional en Zambia",
                },
                "organization": {
                    "en": "United Nations in Zambia",
                    "fr": "Nations Unies en Zambie",
                    "es": "Naciones Unidas en Zambia",
                },
            },
            {
                "name": "Carolina Méndez Ruiz",
                "role": {"en": "Panellist", "fr": "Intervenante", "es": "Panelista"},
                "function": {
                    "en": "Coordinator of the country network in Ecuador",
                    "fr": "Coordonnatrice du réseau national en Équateur",
                    "es": "Coordinadora de la red nacional en Ecuador",
                },
                "organization": {
                    "en": "United Nations in Ecuador",
                    "fr": "Nations Unies en Équateur",
                    "es": "Naciones Unidas en Ecuador",
                },
            },
        ],
        "programme": [
            (
                time(15, 0),
                {
                    "en": "Opening remarks",
                    "fr": "Allocution d'ouverture",
                    "es": "Palabras de apertura",
                },
            ),
            (
                time(15, 10),
                {
                    "en": "Panel: country networks at work",
                    "fr": "Table ronde\u00a0: les réseaux nationaux à l'œuvre",
                    "es": "Panel: las redes nacionales en acción",
                },
            ),
            (
                time(16, 0),
                {
                    "en": "Questions from delegations",
                    "fr": "Questions des délégations",
                    "es": "Preguntas de las delegaciones",
                },
            ),
        ],
        "streams": _streams("country-networks-briefing"),
    }


def _imrf_preparatory_session(today: date) -> dict[str, Any]:
    day = today + timedelta(days=49)
    return {
        "slug": "imrf-preparatory-session",
        "timezone": NEW_YORK,
        "starts": datetime.combine(day, time(10, 0)),
        "ends": datetime.combine(day, time(12, 0)),
        "format": EventFormat.ONLINE,
        "venue": "",
        "capacity_online": 500,
        "moderated": True,
        "registration_opens": datetime.combine(today + timedelta(days=7), time(9, 0)),
        "title": {
            "en": "Preparing the International Migration Review Forum: an online consultation",
            "fr": "Préparer le Forum d'examen des migrations internationales\u00a0: "
            "consultation en ligne",
            "es": "Preparación del Foro de Examen de la Migración Internacional: consulta en línea",
        },
        "summary": {
            "en": "Civil society, academia and the private sector are invited to share their "
            "priorities for the next International Migration Review Forum.",
            "fr": "La société civile, les milieux universitaires et le secteur privé sont invités "
            "à faire part de leurs priorités pour le prochain Forum d'examen des "
            "migrations internationales.",
            "es": "Se invita a la sociedad civil, el mundo académico y el sector privado a "
            "compartir sus prioridades para el próximo Foro de Examen de la Migración "
            "Internacional.",
        },
        "description": {
            "en": "Registrations are reviewed by the secretariat.\n\n" + _FICTIONAL["en"],
            "fr": "Les inscriptions sont examinées par le secrétariat.\n\n" + _FICTIONAL["fr"],
            "es": "La secretaría examina las inscripciones.\n\n" + _FICTIONAL["es"],
        },
        "speakers": [
            {
                "name": "Jonas Lindqvist",
                "role": {"en": "Moderator", "fr": "Modérateur", "es": "Moderador"},
                "function": {
                    "en": "Civil society liaison",
                    "fr": "Chargé de liaison avec la société civile",
                    "es": "Enlace con la sociedad civil",
                },
                "organization": {
                    "en": "United Nations Network on Migration",
                    "fr": "Réseau des Nations Unies sur les migrations",
                    "es": "Red de las Naciones Unidas sobre la Migración",
                },
            },
        ],
        "programme": [],
        "streams": _streams("imrf-preparatory-session"),
    }


DEMO_ORGANIZER = "demo@example.org"


def reset_demo_organizer() -> tuple[str, str]:
    """Give the demo's administrator a fresh random password; return (email, password).

    Only `portal demo` calls this: a demo on a laptop needs a way into the back office, and
    a password printed at start-up is never one that sits in the code.
    """
    password = secrets.token_urlsafe(12)
    organizer = find_organizer(DEMO_ORGANIZER)
    if organizer is None:
        create_organizer(DEMO_ORGANIZER, password, name="Demo secretariat", is_admin=True)
    else:
        set_password(organizer, password)
    db.session.commit()
    return DEMO_ORGANIZER, password


def demo_events(today: date) -> list[dict[str, Any]]:
    """The demo events; upcoming ones are placed relative to `today`."""
    return [_report_launch(), _country_networks_briefing(today), _imrf_preparatory_session(today)]


def seed_demo() -> list[Event]:
    """Create the demo events that are missing; running it again changes nothing.

    Existing events are left as organizers may have edited them, except that a demo event
    meant to be upcoming which has slipped into the past is moved forward again.
    """
    moment = now_utc()
    today = to_zone(moment, GENEVA).date()
    events = []
    for data in demo_events(today):
        event = db.session.scalar(select(Event).where(Event.slug == data["slug"]))
        if event is None:
            event = _create_event(data)
            db.session.add(event)
        elif event.is_past(moment) and from_local(data["ends"], data["timezone"]) > moment:
            _schedule(event, data)
        events.append(event)
    db.session.commit()
    return events


def _create_event(data: dict[str, Any]) -> Event:
    event = Event(
        slug=data["slug"],
        title=data["title"],
        summary=data["summary"],
        description=data["description"],
        format=data["format"],
        venue=data["venue"],
        capacity_in_person=data.get("capacity_in_person"),
        capacity_online=data.get("capacity_online"),
        moderated=data.get("moderated", False),
        status=EventStatus.PUBLISHED,
        speakers=[
            Speaker(position=index, **speaker) for index, speaker in enumerate(data["speakers"])
        ],
        streams=[Stream(position=index, **stream) for index, stream in enumerate(data["streams"])],
    )
    _schedule(event, data)
    return event


def _schedule(event: Event, data: dict[str, Any]) -> None:
    """Set the event's times, registration window and timed programme from `data`."""
    zone = data["timezone"]
    opens, closes = data.get("registration_opens"), data.get("registration_closes")
    event.timezone = zone
    event.starts_at = from_local(data["starts"], zone)
    event.ends_at = from_local(data["ends"], zone)
    event.registration_opens_at = opens and from_local(opens, zone)
    event.registration_closes_at = closes and from_local(closes, zone)
    event.programme = [
        ProgrammeItem(
            position=index,
            title=title,
            starts_at=from_local(datetime.combine(data["starts"].date(), at), zone),
        )
        for index, (at, title) in enumerate(data["programme"])
    ]
