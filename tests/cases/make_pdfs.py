#!/usr/bin/env python3
"""Build the page.pdf of each PDF case in this folder from the text below.

Run it from the repository root with the project's venv, where fpdf2 is a test dependency:

    .venv/bin/python tests/cases/make_pdfs.py

Each PDF's creation date is fixed to the date the case is labelled with, so the
output does not change from one run to the next and the PDF metadata never
disagrees with the label. The case.json files are written by hand, not by this
script.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from fpdf import FPDF

HERE = Path(__file__).resolve().parent

# Blocks: ("title", text), ("h", text), ("p", text), ("rows", [line, ...]).
# The core PDF fonts cover Latin-1 only, so the text avoids curly quotes and dashes.

TEACHER_HIRES = [
    ("Annika Brecht", "Grade 1", "Westfield Intermediate School"),
    ("Basil Okonjo", "Grade 4", "Westfield Intermediate School"),
    ("Cordelia Haines", "Intervention Specialist", "Harmony Lane Elementary"),
    ("Dmitri Yablonski", "Physical Education", "Harmony Lane Elementary"),
    ("Eulalia Fenwick", "Grade 2", "Harmony Lane Elementary"),
    ("Fabian Stroud", "Mathematics", "Westfield High School"),
    ("Georgette Lam", "Chemistry", "Westfield High School"),
    ("Horatio Beale", "Social Studies", "Westfield High School"),
    ("Isadora Kincaid", "English Language Arts", "Westfield Middle School"),
    ("Joaquin Petrakis", "Science", "Westfield Middle School"),
    ("Katarina Mills", "Spanish", "Westfield High School"),
    ("Lucian Ardmore", "Music (Vocal)", "Westfield Middle School"),
    ("Mireille Ocampo", "Kindergarten", "Harmony Lane Elementary"),
    ("Niall Featherstone", "Art", "Westfield Intermediate School"),
    ("Odalys Brennan", "School Counselor", "Westfield Middle School"),
    ("Pascal Whitmore", "Intervention Specialist", "Westfield High School"),
    ("Rowena Castile", "Grade 3", "Westfield Intermediate School"),
    ("Silas Vandermeer", "Agriculture Education", "Westfield High School"),
    ("Thea Gunderson", "Speech-Language Pathologist", "District-wide"),
    ("Urban Kowalski", "Grade 5", "Westfield Intermediate School"),
    ("Viveka Adeyemi", "Library Media Specialist", "Westfield High School"),
    ("Wendell Asante", "Mathematics", "Westfield Middle School"),
    ("Yolanda Bergstrom", "Reading Specialist", "Harmony Lane Elementary"),
    ("Zacharias Pruett", "Physics", "Westfield High School"),
    ("Amara Ellsworth", "English Language Learners", "District-wide"),
    ("Benedikt Sauer", "Grade 6", "Westfield Middle School"),
    ("Calliope Dufresne", "Family and Consumer Sciences", "Westfield High School"),
    ("Darius Holloway", "Grade 1", "Harmony Lane Elementary"),
    ("Esme Rutherford", "Intervention Specialist", "Westfield Middle School"),
    ("Florian Maddox", "Health", "Westfield High School"),
]

PAGES: dict[str, dict] = {
    "minutes-pdf-personnel-oh-53": {
        "date": "2026-03-09",
        "blocks": [
            ("title", "WESTFIELD LOCAL SCHOOL DISTRICT BOARD OF EDUCATION"),
            ("h", "Minutes - Regular Meeting, Monday, March 9, 2026"),
            ("p", "The Board of Education of the Westfield Local School District met in regular session at "
                  "6:00 p.m. in the Westfield High School media center. Present: Mrs. Dorsey, Mr. Albrecht, "
                  "Ms. Kaur, Mr. Lindgren, Mrs. Obregon."),
            ("h", "26-031 Approval of Minutes"),
            ("p", "Motion by Mr. Albrecht, second by Ms. Kaur, to approve the minutes of the February 9, 2026 "
                  "regular meeting. Vote: 5 yes. Motion carried."),
            ("h", "26-032 Treasurer's Report"),
            ("p", "The treasurer reported that the June 1 principal and interest payment on the 2016 school "
                  "improvement bonds is fully funded from the bond retirement fund."),
            ("h", "26-033 Personnel - Certificated Staff (Consent)"),
            ("p", "Upon the recommendation of the Superintendent, motion by Mrs. Obregon, second by "
                  "Mr. Lindgren, to employ the following certificated staff on one-year limited contracts for "
                  "the 2026-2027 school year, pending completion of background checks:"),
            ("rows", [f"{i + 1}. {name}, {subject}, {school}" for i, (name, subject, school) in enumerate(TEACHER_HIRES)]),
            ("p", "Vote: 5 yes. Motion carried."),
            ("h", "26-034 Personnel - Administrative"),
            ("p", "Upon the recommendation of the Superintendent, motion by Ms. Kaur, second by Mrs. Dorsey, to "
                  "employ Bartholomew Nkemelu as Interim Principal of Westfield Intermediate School, effective "
                  "March 16, 2026 through June 30, 2026, at a per diem rate of $512.00. Vote: 5 yes. Motion carried."),
            ("p", "Motion by Mr. Albrecht, second by Mr. Lindgren, to accept the resignation of Phyllis Garrity, "
                  "Principal of Westfield Intermediate School, effective March 13, 2026, for the purpose of "
                  "retirement. Vote: 5 yes. Motion carried."),
            ("h", "26-035 Adjournment"),
            ("p", "There being no further business, the meeting adjourned at 7:18 p.m."),
            ("p", "Minutes approved April 13, 2026.        President ______________   Treasurer ______________"),
        ],
    },
    "minutes-pdf-cbe-workshop-mi-54": {
        "date": "2026-01-26",
        "blocks": [
            ("title", "THORNAPPLE RIVER AREA SCHOOLS"),
            ("h", "Board of Education - Work Session and Regular Meeting"),
            ("h", "January 26, 2026"),
            ("p", "Members present: Voigt, Ashworth, Delacourt, Mensah, Paquette, Sobieski, Trent."),
            ("h", "I. Work Session: Competency-Based Learning"),
            ("p", "Assistant Superintendent Loretta Byrnes presented an overview of competency-based learning, "
                  "in which students earn credit by demonstrating mastery of learning targets instead of by time "
                  "in class. She reviewed what a change would mean for grading, transcripts and scheduling."),
            ("p", "Trustees discussed forming a study committee of teachers, parents and students to examine "
                  "whether competency-based learning could work at Thornapple River, and to hold community "
                  "forums this spring. Board consensus was to bring a committee charge to the February meeting. "
                  "No changes for students are planned for 2026-27."),
            ("h", "II. Regular Meeting - Personnel"),
            ("p", "Motion by Mensah, support by Paquette, to approve the appointment of Ingrid Solberg as "
                  "Assistant Principal of Thornapple Middle School, beginning April 6, at the salary and terms "
                  "recommended by the Superintendent. Ayes 7, Nays 0. Motion carried."),
            ("p", "Motion to approve the hiring of Colby Rasmussen, Grade 3 teacher, Glenwood Elementary. "
                  "Ayes 7. Motion carried."),
            ("h", "III. Adjournment"),
            ("p", "President Voigt adjourned the meeting at 8:40 p.m."),
        ],
    },
    "minutes-pdf-bond-neg-ne-55": {
        "date": "2025-11-18",
        "blocks": [
            ("title", "SANDHILLS CENTRAL PUBLIC SCHOOLS"),
            ("h", "Minutes of the Regular Meeting of the Board of Education"),
            ("h", "Regular Meeting, Tuesday, November 18, 2025, 7:00 p.m."),
            ("p", "Notice of this meeting was published November 6, 2025. Present: Holtz, Brandeis, Kucera, "
                  "Moravec, Yoder. Absent: none."),
            ("h", "Reports"),
            ("p", "Elementary Principal's Report: Principal Margit Fenske reported on the fall book fair and "
                  "parent-teacher conference attendance of 94 percent. Secondary Principal's Report: Principal "
                  "Julius Oberg reported on the fall play and FFA results."),
            ("h", "Finance"),
            ("p", "Motion by Kucera, second by Moravec, to adopt Resolution 2025-11 providing for the issuance "
                  "of Limited Tax Obligation Bonds in a principal amount not to exceed $2,400,000 for roof "
                  "replacement, with principal and interest payable semiannually on June 15 and December 15 "
                  "beginning June 15, 2026. Roll call: all aye. Motion carried."),
            ("p", "Motion to approve the principal and interest payment of $186,340.00 due December 15, 2025 on "
                  "the Series 2020 bonds. Carried 5-0."),
            ("h", "Personnel"),
            ("p", "Motion by Yoder, second by Holtz, to accept the resignation of Julius Oberg, Secondary "
                  "Principal, effective June 30, 2026, as he has accepted a position with another district. "
                  "Carried 5-0. The superintendent will advertise the position in January."),
            ("h", "Adjournment"),
            ("p", "The meeting adjourned at 8:12 p.m. The next regular meeting is December 16, 2025."),
        ],
    },
    "minutes-pdf-cbe-policy-sc-56": {
        "date": "2026-04-13",
        "blocks": [
            ("title", "SWEETGRASS COUNTY SCHOOL DISTRICT"),
            ("h", "Board of Trustees - Minutes"),
            ("h", "Regular Meeting, Monday, April 13, 2026"),
            ("p", "Trustees present: Middleton, Ravenel, Gadsden, Pinckney-Hart, Legare, Simmons."),
            ("h", "Action Item 6.1: Policy IKF-CB, Competency-Based Graduation Requirements (Second Reading)"),
            ("p", "Chief Academic Officer Theodora Gaillard reviewed the policy, which allows students at "
                  "Sweetgrass High School and Ashley Crossing High School to earn credit toward graduation by "
                  "demonstrating competencies rather than by completing 120 hours of seat time. The policy takes "
                  "effect with the 2026-27 school year for ninth graders at the two schools; the district's third "
                  "high school is not included in the first phase."),
            ("p", "Motion by Ravenel, second by Legare, to adopt Policy IKF-CB on second reading. Vote 6-0. "
                  "Motion carried."),
            ("h", "Action Item 6.2: Administrative Appointments"),
            ("p", "Upon recommendation of the Superintendent, motion by Gadsden, second by Simmons, to appoint "
                  "Cressida Vantongeren as principal of Sweetgrass High School, effective July 1, 2026. "
                  "Vote 6-0. Motion carried."),
            ("h", "Adjournment"),
            ("p", "The meeting adjourned at 8:05 p.m."),
            ("p", "Approved: May 11, 2026"),
        ],
    },
    "job-pdf-cbe-coordinator-me-57": {
        "date": "2026-01-27",
        "blocks": [
            ("title", "KATAHDIN LAKES REGIONAL SCHOOL UNIT 62"),
            ("h", "Job Posting: Proficiency-Based Learning Coordinator"),
            ("p", "Date Posted: January 27, 2026     Application Deadline: February 20, 2026"),
            ("p", "Start Date: July 1, 2026     Schedule: 215 days     Location: Central Office, Millinocket Road"),
            ("h", "About RSU 62"),
            ("p", "RSU 62 serves 2,100 students in six schools. All six schools have used proficiency-based "
                  "learning since 2016, and every RSU 62 graduate earns a proficiency-based diploma."),
            ("h", "Position Summary"),
            ("p", "The Proficiency-Based Learning Coordinator supports teachers in writing assessments against "
                  "the graduation standards, maintains the district's proficiency scales, trains new staff, and "
                  "works with the high school counseling office on transcripts."),
            ("h", "Qualifications"),
            ("p", "Maine teaching certificate; at least five years of classroom experience in a "
                  "proficiency-based school; strong communication skills."),
            ("p", "To apply, send a letter of interest, resume and three references to the Office of the "
                  "Superintendent. RSU 62 is an equal opportunity employer."),
        ],
    },
    "job-pdf-student-progression-nh-58": {
        "date": "2026-02-02",
        "blocks": [
            ("title", "SUNAPEE HIGHLANDS SCHOOL ADMINISTRATIVE UNIT 94"),
            ("h", "Position Vacancy: Student Progression Coordinator"),
            ("p", "Posting Date: 02/02/2026     Closing: Open until filled"),
            ("h", "Description"),
            ("p", "Sunapee Highlands schools have been competency-based for more than ten years: students in all "
                  "grades are assessed on competencies, and high school credit is awarded when students "
                  "demonstrate course competencies. The Student Progression Coordinator manages the data "
                  "systems that track each student's progress on competencies across grades, prepares reports "
                  "for principals and teachers, and flags students who need intervention."),
            ("h", "Requirements"),
            ("p", "Bachelor's degree; experience with student information systems; knowledge of "
                  "competency-based grading."),
            ("p", "Submit applications through the SAU 94 employment portal."),
        ],
    },
    "trap-job-pdf-hr-interview-59": {
        "date": "2026-03-03",
        "blocks": [
            ("title", "CANYON LAKE UNIFIED SCHOOL DISTRICT - HUMAN RESOURCES"),
            ("h", "Job Announcement: Human Resources Generalist"),
            ("p", "Posted: March 3, 2026     Final filing date: March 24, 2026"),
            ("h", "Duties"),
            ("p", "Coordinates recruitment for classified positions, schedules and conducts competency-based "
                  "interviews, maintains personnel files, and processes new-hire paperwork."),
            ("h", "Core Competencies"),
            ("p", "Confidentiality, accuracy, customer service, knowledge of employment law."),
            ("h", "Selection Process"),
            ("p", "Candidates who pass the written exam will be invited to a structured, competency-based panel "
                  "interview. Completion of the district's competency-based HR certification program is "
                  "required within one year of hire."),
        ],
    },
    "state-pdf-il-cbe-pilot-60": {
        "date": "2026-02-18",
        "blocks": [
            ("title", "ILLINOIS STATE BOARD OF EDUCATION"),
            ("h", "Brief: Competency-Based Education Pilot Program"),
            ("p", "Issued: February 18, 2026"),
            ("h", "Background"),
            ("p", "State law created the Competency-Based High School Graduation Requirements Pilot Program, "
                  "which lets participating districts replace course and seat-time requirements with "
                  "competency-based graduation requirements. Students in participating schools earn credit by "
                  "demonstrating mastery of competencies aligned to state standards."),
            ("h", "Participation"),
            ("p", "Districts apply to join the pilot; the State Board approves applications. Participating "
                  "districts receive technical assistance and meet in a statewide learning network. The pilot "
                  "covers a limited number of districts and is not a statewide requirement."),
            ("h", "Next Steps"),
            ("p", "The next application window opens this spring. Contact the Department of College and Career "
                  "Readiness for details."),
        ],
    },
    "state-pdf-wy-brief-other-states-61": {
        "date": "2025-12-03",
        "blocks": [
            ("title", "WYOMING LEGISLATIVE SERVICE OFFICE"),
            ("h", "Research Memo: Competency-Based Education in Other States"),
            ("p", "Date: December 3, 2025     To: Joint Education Interim Committee"),
            ("h", "Summary"),
            ("p", "At the committee's request, this memo describes how two other states handle competency-based "
                  "education. It does not describe any Wyoming program and makes no recommendation."),
            ("h", "New Hampshire"),
            ("p", "New Hampshire's minimum standards require high schools to award credit based on demonstrated "
                  "competencies rather than seat time, and allow extended learning opportunities outside the "
                  "classroom."),
            ("h", "Utah"),
            ("p", "Utah's legislature funds grants for districts to design personalized, competency-based "
                  "learning, and allows credit on demonstrated competency."),
            ("h", "Note"),
            ("p", "This memo is a summary of public sources and has not been reviewed by either state."),
        ],
    },
}


def build_pdf(blocks: list[tuple], created: datetime) -> FPDF:
    pdf = FPDF(format="letter")
    pdf.set_creation_date(created)
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()

    for kind, content in blocks:
        if kind == "title":
            pdf.set_font("Helvetica", "B", 13)
            pdf.multi_cell(0, 7, content, align="C", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif kind == "h":
            pdf.set_font("Helvetica", "B", 11)
            pdf.multi_cell(0, 6, content, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif kind == "p":
            pdf.set_font("Helvetica", "", 10)
            pdf.multi_cell(0, 5, content, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif kind == "rows":
            pdf.set_font("Helvetica", "", 9)
            for line in content:
                pdf.multi_cell(0, 4.5, line, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        else:
            raise ValueError(f"unknown block kind {kind!r}; expected title, h, p or rows")
    return pdf


def main() -> None:
    for case_id, page in PAGES.items():
        created = datetime.fromisoformat(page["date"]).replace(hour=12, tzinfo=timezone.utc)
        target = HERE / case_id / "page.pdf"
        target.parent.mkdir(exist_ok=True)
        build_pdf(page["blocks"], created).output(str(target))
        print(f"{target.relative_to(HERE)}: {target.stat().st_size} bytes")


if __name__ == "__main__":
    main()
