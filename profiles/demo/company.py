"""A believable, deterministic demo company: the same input always builds the same people.

CEO (level 9) -> department heads (8) -> directors (7) -> managers (5-6) -> individual contributors
(1-4): five levels of reporting line, seven departments, six locations in six time zones.
"""

import random
import unicodedata
from dataclasses import dataclass

DEMO_PASSWORD = "twoway-demo-login"  # noqa: S105 - published in the README on purpose; demo data only

LOCATIONS = [
    ("London", "Europe/London"),
    ("Berlin", "Europe/Berlin"),
    ("New York", "America/New_York"),
    ("San Francisco", "America/Los_Angeles"),
    ("Singapore", "Asia/Singapore"),
    ("Bangalore", "Asia/Kolkata"),
]
DEPARTMENTS = {
    "Engineering": ("Engineer", "Engineering"),
    "Product": ("Product Designer", "Product"),
    "Marketing": ("Marketing Specialist", "Marketing"),
    "Sales": ("Account Executive", "Sales"),
    "Finance": ("Financial Analyst", "Finance"),
    "People & Culture": ("People Partner", "People"),
    "Operations": ("Operations Analyst", "Operations"),
}
FIRST_NAMES = [
    "Amara",
    "Ben",
    "Chiara",
    "Dev",
    "Elif",
    "Farah",
    "Gabriel",
    "Hiro",
    "Ines",
    "Jonas",
    "Kavya",
    "Liam",
    "Mei",
    "Nadia",
    "Omar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sami",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Aisha",
    "Bruno",
    "Carmen",
    "Daniel",
    "Emeka",
    "Freya",
    "Grace",
    "Hamid",
    "Isla",
    "Jae",
    "Keanu",
    "Lucia",
    "Mateo",
    "Noor",
    "Oskar",
    "Paula",
    "Rahul",
    "Sofia",
    "Thandi",
    "Valentina",
]
LAST_NAMES = [
    "Okafor",
    "Schmidt",
    "Rossi",
    "Patel",
    "Yilmaz",
    "Haddad",
    "Silva",
    "Tanaka",
    "García",
    "Berg",
    "Iyer",
    "Murphy",
    "Wang",
    "Kowalski",
    "Farouk",
    "Nair",
    "Dubois",
    "Martínez",
    "Virtanen",
    "Khan",
    "Mensah",
    "Novak",
    "Li",
    "Hernández",
    "Aydın",
    "Fischer",
    "Mbeki",
    "Costa",
    "Johansson",
    "Kim",
    "Adeyemi",
    "Larsen",
    "Moreau",
    "Sato",
    "O'Brien",
    "Romero",
    "Chen",
    "Andersen",
    "Bauer",
    "Osei",
]
IC_TITLES = {1: "Associate {}", 2: "{}", 3: "{} II", 4: "Senior {}"}


@dataclass
class DemoPerson:
    employee_id: str
    email: str
    full_name: str
    job_title: str
    department: str
    location: str
    time_zone: str
    level: int
    manager_employee_id: str | None
    login: str | None = None  # "hr", "leader" or "participant" for the fixed demo logins


# The fixed demo logins, placed in slots of the generated tree: (slot, email, name, title, login)
DEMO_LOGINS = {
    "Engineering/head": ("leader@example.com", "Lena Okonkwo", "Chief Technology Officer", "leader"),
    "Finance/head": ("mentee@example.com", "Martin Keller", "Chief Financial Officer", "participant"),
    "Sales/director/0": (
        "mentee2@example.com",
        "Sandra Whitfield",
        "Director of Sales, Americas",
        "participant",
    ),
    "People & Culture/manager/0": ("hr@example.com", "Hana Ruiz", "People Programs Manager", "hr"),
    "Marketing/ic/0": ("mentor@example.com", "Maya Chen", "Social Media Associate", "participant"),
    "Engineering/ic/0": ("mentor2@example.com", "Tomás Reyes", "Associate Software Engineer", "participant"),
}
# The two demo juniors keep a fixed entry grade, whatever the generator draws for their slot.
DEMO_LEVELS = {"mentor@example.com": 2, "mentor2@example.com": 1}


def build_company(seed: int = 2026) -> list[DemoPerson]:
    """Managers come before their reports in the returned list."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    people: list[DemoPerson] = []
    used_emails: set[str] = {login[0] for login in DEMO_LOGINS.values()}

    def _ascii_address(name: str) -> str:
        # As company mail systems do (and as the importer requires): Martínez -> martinez, Aydın -> aydin.
        folded = unicodedata.normalize("NFKD", name.replace("ı", "i"))
        return "".join(c for c in folded if c.isascii() and c != "'").lower()

    def new_person(level, department, title, location, manager, slot=None):
        employee_id = f"E{len(people) + 1:04d}"
        if slot in DEMO_LOGINS:
            email, full_name, title, login = DEMO_LOGINS[slot]
        else:
            while True:
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                email = _ascii_address(f"{first}.{last}") + "@example.com"
                if email not in used_emails:
                    break
            full_name, login = f"{first} {last}", None
        used_emails.add(email)
        level = DEMO_LEVELS.get(email, level)
        city, tz = location
        person = DemoPerson(
            employee_id=employee_id,
            email=email,
            full_name=full_name,
            job_title=title,
            department=department,
            location=city,
            time_zone=tz,
            level=level,
            manager_employee_id=manager.employee_id if manager else None,
            login=login,
        )
        people.append(person)
        return person

    ceo = new_person(9, "Executive Office", "Chief Executive Officer", LOCATIONS[0], None)
    for d_index, (department, (ic_title, area)) in enumerate(DEPARTMENTS.items()):
        home = LOCATIONS[d_index % len(LOCATIONS)]
        head = new_person(8, department, f"Chief {area} Officer", home, ceo, slot=f"{department}/head")
        for dir_index in range(2):
            dir_location = LOCATIONS[(d_index + dir_index * 2) % len(LOCATIONS)]
            director = new_person(
                7,
                department,
                f"Director of {area}",
                dir_location,
                head,
                slot=f"{department}/director/{dir_index}",
            )
            for m_index in range(2):
                manager_slot = f"{department}/manager/{dir_index * 2 + m_index}"
                manager = new_person(
                    rng.choice([5, 6]),
                    department,
                    f"{area} Manager",
                    dir_location,
                    director,
                    slot=manager_slot,
                )
                for ic_index in range(6):
                    level = rng.choice([1, 2, 2, 3, 3, 4])
                    ic_slot = f"{department}/ic/{(dir_index * 2 + m_index) * 6 + ic_index}"
                    location = dir_location if rng.random() < 0.7 else rng.choice(LOCATIONS)
                    new_person(
                        level, department, IC_TITLES[level].format(ic_title), location, manager, slot=ic_slot
                    )
    return people
