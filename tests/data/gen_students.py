#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Generate synthetic student import templates as CSV files.

Every person in the output is made up. Names come from common surnames and
given-name characters. ID numbers use real county codes of the chosen
province and a correct ISO 7064 MOD 11-2 check character, so they pass the
same checks as real numbers. The output depends only on the arguments and
the seed.

Sub-commands:
  bulk  one large file of distinct students, for imports and benchmarks
  demo  a few schools with planted problem registrations, a schools.csv
        describing them and expected.json listing what the checks must find

Uses the Python 3 standard library only.
"""

import argparse
import csv
import datetime
import json
import math
import os
import random
import sys

HEADERS = (
    "姓名", "性别", "出生日期", "身份证件类型", "身份证件号", "国籍/地区", "民族",
    "年级", "班级", "入学年月", "港澳台侨外", "健康状况", "户口性质", "就读方式",
    "入学方式", "现住址", "联系电话", "班内学号",
)

# ISO 7064 MOD 11-2 as GB 11643 applies it to the first 17 digits.
CHECK_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"

GENDER_MALE = "1"
GENDER_FEMALE = "2"
ID_TYPE_RESIDENT = "1"
ID_TYPE_NONE = "Z"

# The last digit of the 3-digit sequence code is odd for males and even for
# females. Males get 001-997 and females 002-998 (000 is left out), 499 codes
# each, so that BulkIds decodes both genders alike.
SEQUENCES_PER_GENDER = 499

GRADE_NAMES = (
    "一年级", "二年级", "三年级", "四年级", "五年级", "六年级",
    "七年级", "八年级", "九年级",
)
PRIMARY_GRADES = range(1, 7)
JUNIOR_GRADES = range(7, 10)
CLASS_SIZE = 45

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
    "于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江"
    "尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤"
)
GIVEN_MALE = "伟强磊军洋勇杰涛明超辉刚浩宇轩博文俊鹏飞志晨然阳睿子一梓泽航嘉豪宏旭鑫昊天乐凯铭瑞诚思远家佳安"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞婷雪琳欣怡萱涵梓雨思佳可馨悦诗晴瑶彤一子语嘉美月玉慧颖蕾璐菲安琪甜桐"

STREETS = ("建设路", "人民路", "解放路", "中山路", "文化路", "和平街", "新华街", "光明路",
           "幸福路", "胜利街", "迎宾大道", "工业路", "育才街", "花园路", "东风路")
TOWNS = ("城关", "新集", "王庄", "李寨", "张桥", "石桥", "柳林", "白庙", "高村", "黄集")
VILLAGES = ("东", "西", "南", "北", "前", "后", "大", "小", "新", "老")
VILLAGE_STEMS = ("刘庄", "杨湾", "陈营", "赵屯", "孙楼", "马寨", "周岗", "郭店", "何庄", "黄楼")

# GB 3304 codes other than 01 (Han) used for some students: 02 Mongol,
# 03 Hui, 04 Tibetan, 05 Uyghur, 06 Miao, 08 Zhuang, 10 Korean, 11 Manchu.
MINORITY_CODES = ("02", "03", "04", "05", "06", "08", "10", "11")
MINORITY_RATE = 0.05

# City-level entries whose names are placeholders, left out of addresses.
PLACEHOLDER_CITY_NAMES = ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划")

# Excel stores dates as days since 1899-12-30 (the 1900 date system).
EXCEL_EPOCH = datetime.date(1899, 12, 30)

DIVISIONS_DIR = os.path.normpath(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "common", "divisions"))


def id_check_char(first17):
    """Return the MOD 11-2 check character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, CHECK_WEIGHTS))
    return CHECK_CHARS[total % 11]


def make_id(region, birth, sequence):
    """Return the 18-character ID number for a sequence code from 1 to 999."""
    first17 = "%s%s%03d" % (region, birth.strftime("%Y%m%d"), sequence)
    return first17 + id_check_char(first17)


def random_sequence(rng, gender):
    """Pick a 3-digit sequence code whose last digit matches gender."""
    index = rng.randrange(SEQUENCES_PER_GENDER)
    return 2 * index + 1 if gender == GENDER_MALE else 2 * index + 2


def enrolment_year(birth):
    """Return the year of first-grade enrolment. The school year starts on
    1 September, and a child who is 6 on 31 August starts that September."""
    return birth.year + 7 if birth.month >= 9 else birth.year + 6


def grade_of(birth, school_year):
    return school_year - enrolment_year(birth) + 1


def birth_window(grade, school_year):
    """Return the first and last birth dates of a grade in school_year."""
    first_grade_year = school_year - (grade - 1)
    return (datetime.date(first_grade_year - 7, 9, 1),
            datetime.date(first_grade_year - 6, 8, 31))


def random_birth(rng, grade, school_year):
    first, last = birth_window(grade, school_year)
    return first + datetime.timedelta(days=rng.randrange((last - first).days + 1))


def random_name(rng, gender):
    given = GIVEN_MALE if gender == GENDER_MALE else GIVEN_FEMALE
    length = 1 if rng.random() < 0.2 else 2
    return rng.choice(SURNAMES) + "".join(rng.choice(given) for _ in range(length))


def random_phone(rng):
    """Return a made-up 11-digit number shaped like a mobile number."""
    return "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9))


def random_ethnicity(rng):
    return rng.choice(MINORITY_CODES) if rng.random() < MINORITY_RATE else "01"


class Divisions:
    """County-level division codes and names of one province, read from
    common/divisions."""

    def __init__(self, directory, province):
        self.province = province
        self.province_name = None
        self.city_names = {}
        self.county_names = {}
        self.county_city = {}
        with open(os.path.join(directory, "provinces.csv"), encoding="utf-8") as source:
            for row in csv.DictReader(source):
                if row["code"] == province:
                    self.province_name = row["name"]
        if self.province_name is None:
            raise SystemExit("gen_students.py: unknown province code %r; see %s"
                             % (province, os.path.join(directory, "provinces.csv")))
        with open(os.path.join(directory, "cities.csv"), encoding="utf-8") as source:
            for row in csv.DictReader(source):
                if row["provinceCode"] == province:
                    self.city_names[row["code"]] = row["name"]
        with open(os.path.join(directory, "areas.csv"), encoding="utf-8") as source:
            for row in csv.DictReader(source):
                # Codes ending in 71-79 are development zones of the
                # statistics codes, not GB/T 2260 counties, so ID numbers
                # here never use them.
                if row["provinceCode"] != province or row["code"][4] == "7":
                    continue
                self.county_names[row["code"]] = row["name"]
                self.county_city[row["code"]] = row["cityCode"]
        self.counties = sorted(self.county_names)
        if not self.counties:
            raise SystemExit("gen_students.py: no county codes for province %s" % province)

    def counties_of_city(self, city):
        return [code for code in self.counties if self.county_city[code] == city]

    def cities(self):
        return sorted(set(self.county_city.values()))

    def place_prefix(self, county):
        """Return the province, city and county names for an address."""
        city_name = self.city_names.get(self.county_city[county], "")
        if city_name in PLACEHOLDER_CITY_NAMES:
            city_name = ""
        return self.province_name + city_name + self.county_names[county]


def random_address(rng, divisions, county, hukou):
    """Return a made-up address: a village for agricultural households
    (户口性质 1), a flat in town otherwise."""
    prefix = divisions.place_prefix(county)
    if hukou == "1":
        return "%s%s镇%s%s村%d组" % (prefix, rng.choice(TOWNS), rng.choice(VILLAGES),
                                 rng.choice(VILLAGE_STEMS), rng.randint(1, 12))
    return "%s%s%d号院%d号楼%d单元%d室" % (
        prefix, rng.choice(STREETS), rng.randint(1, 300), rng.randint(1, 20),
        rng.randint(1, 4), rng.randint(1, 6) * 100 + rng.randint(1, 4))


class Student:
    """One template row before it is written."""

    def __init__(self, name, gender, birth, id_type, id_number, grade, class_number,
                 ethnicity, hukou, address, phone):
        self.name = name
        self.gender = gender
        self.birth = birth
        self.id_type = id_type
        self.id_number = id_number
        self.grade = grade
        self.class_number = class_number
        self.ethnicity = ethnicity
        self.hukou = hukou
        self.address = address
        self.phone = phone
        self.number_in_class = 0
        # Cells written in place of the correct value, by header name.
        self.overrides = {}

    def enrolment_month(self, school_year):
        """Return YYYYMM of entry into the current stage. Primary school
        starts in grade 1 and junior middle school in grade 7."""
        first_grade = JUNIOR_GRADES[0] if self.grade in JUNIOR_GRADES else 1
        return "%d09" % (school_year - (self.grade - first_grade))

    def row(self, school_year):
        values = {
            "姓名": self.name,
            "性别": self.gender,
            "出生日期": self.birth.strftime("%Y%m%d"),
            "身份证件类型": self.id_type,
            "身份证件号": self.id_number,
            "国籍/地区": "CHN",
            "民族": self.ethnicity,
            "年级": GRADE_NAMES[self.grade - 1],
            "班级": "%d班" % self.class_number,
            "入学年月": self.enrolment_month(school_year),
            "港澳台侨外": "00",
            "健康状况": "10",
            "户口性质": self.hukou,
            "就读方式": "1",
            "入学方式": "11",
            "现住址": self.address,
            "联系电话": self.phone,
            "班内学号": str(self.number_in_class),
        }
        values.update(self.overrides)
        return [values[header] for header in HEADERS]


def new_student(rng, divisions, county, gender, birth, grade, class_number, id_number,
                id_type=ID_TYPE_RESIDENT, name=None):
    hukou = rng.choice("12")
    return Student(
        name=name or random_name(rng, gender), gender=gender, birth=birth,
        id_type=id_type, id_number=id_number, grade=grade, class_number=class_number,
        ethnicity=random_ethnicity(rng), hukou=hukou,
        address=random_address(rng, divisions, county, hukou), phone=random_phone(rng))


# ---------------------------------------------------------------- bulk


class BulkIds:
    """Distinct ID numbers without storing them.

    Every (county, birth day, gender, sequence) combination is one integer
    below `capacity`. Row i takes combination (a * i + b) mod capacity, with
    a coprime to capacity, so no two rows share a number and neighbouring
    rows differ in county and birth date.
    """

    def __init__(self, rng, counties, first_birth, last_birth):
        self.counties = counties
        self.first_birth = first_birth
        self.days = (last_birth - first_birth).days + 1
        self.capacity = len(counties) * self.days * SEQUENCES_PER_GENDER * 2
        self.offset = rng.randrange(self.capacity)
        self.multiplier = 0
        # More than 13% of the integers below any n < 6e17 are coprime to n
        # (phi(n)/n is smallest for primorials), so 1000 draws find one.
        for _ in range(1000):
            candidate = rng.randrange(self.capacity // 3, 2 * self.capacity // 3)
            if math.gcd(candidate, self.capacity) == 1:
                self.multiplier = candidate
                break
        if self.multiplier == 0:
            raise SystemExit("gen_students.py: no multiplier coprime to %d" % self.capacity)

    def get(self, index):
        """Return (county, birth, gender, ID number) of row index."""
        value = (self.multiplier * index + self.offset) % self.capacity
        value, gender_bit = divmod(value, 2)
        value, sequence_index = divmod(value, SEQUENCES_PER_GENDER)
        county_index, day = divmod(value, self.days)
        county = self.counties[county_index]
        birth = self.first_birth + datetime.timedelta(days=day)
        if gender_bit:
            gender, sequence = GENDER_MALE, 2 * sequence_index + 1
        else:
            gender, sequence = GENDER_FEMALE, 2 * sequence_index + 2
        return county, birth, gender, make_id(county, birth, sequence)


def command_bulk(args):
    rng = random.Random(args.seed)
    divisions = Divisions(args.divisions, args.province)
    grades = JUNIOR_GRADES if args.junior else PRIMARY_GRADES
    first_birth = birth_window(grades[-1], args.school_year)[0]
    last_birth = birth_window(grades[0], args.school_year)[1]
    ids = BulkIds(rng, divisions.counties, first_birth, last_birth)
    if args.count > ids.capacity:
        raise SystemExit("gen_students.py: --count %d exceeds the %d distinct ID numbers "
                         "of province %s" % (args.count, ids.capacity, args.province))

    # Students without an ID document must differ in name + gender + birth
    # date, or they would be duplicates. They are few, so a set is cheap.
    no_id_keys = set()
    grade_counts = {}
    with open(args.out, "w", encoding=args.encoding, newline="") as output:
        writer = csv.writer(output)
        writer.writerow(HEADERS)
        for index in range(args.count):
            county, birth, gender, id_number = ids.get(index)
            grade = grade_of(birth, args.school_year)
            position = grade_counts.get(grade, 0)
            grade_counts[grade] = position + 1
            student = new_student(rng, divisions, county, gender, birth, grade,
                                  position // CLASS_SIZE + 1, id_number)
            student.number_in_class = position % CLASS_SIZE + 1
            if rng.random() < args.no_id_rate:
                student.id_type, student.id_number = ID_TYPE_NONE, ""
                for _ in range(100):
                    key = (student.name, gender, birth)
                    if key not in no_id_keys:
                        break
                    student.name = random_name(rng, gender)
                else:
                    raise SystemExit("gen_students.py: no unique name for a student "
                                     "without ID after 100 tries; lower --no-id-rate")
                no_id_keys.add(key)
            writer.writerow(student.row(args.school_year))
    print("wrote %d students to %s (%s)" % (args.count, args.out, args.encoding),
          file=sys.stderr)


# ---------------------------------------------------------------- demo


class School:
    def __init__(self, code, name, county, phone, encoding, grades):
        self.code = code
        self.name = name
        self.county = county
        self.phone = phone
        self.encoding = encoding
        self.grades = grades
        self.file = code + ".csv"
        self.students = []
        # Planted rows, which Demo.expected() lists with their line numbers.
        self.problems = []
        self.format_faults = []


class Demo:
    """Demo schools with their students, and every ID number used so far,
    so that only the planted duplicates collide."""

    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.divisions = Divisions(args.divisions, args.province)
        self.used_ids = set()
        self.no_id_keys = set()
        self.schools = self.make_schools()

    def pick_counties(self):
        """Return counties A and B of one city, C of a second city and D of
        a third."""
        cities = [city for city in self.divisions.cities()
                  if len(self.divisions.counties_of_city(city)) >= 2]
        if len(cities) < 3:
            raise SystemExit("gen_students.py: province %s has fewer than 3 cities with "
                             "two counties; the demo needs them" % self.args.province)
        first, second, third = self.rng.sample(cities, 3)
        county_a, county_b = self.rng.sample(self.divisions.counties_of_city(first), 2)
        county_c = self.rng.choice(self.divisions.counties_of_city(second))
        county_d = self.rng.choice(self.divisions.counties_of_city(third))
        return county_a, county_b, county_c, county_d

    def make_schools(self):
        county_a, county_b, county_c, county_d = self.pick_counties()
        names = self.divisions.county_names
        plan = (
            (county_a, 1, names[county_a] + "实验小学", "utf-8", PRIMARY_GRADES),
            (county_a, 2, names[county_a] + "育才小学", "gb18030", PRIMARY_GRADES),
            (county_b, 1, names[county_b] + "第一小学", "utf-8-sig", PRIMARY_GRADES),
            (county_c, 1, names[county_c] + "城关小学", "utf-8", PRIMARY_GRADES),
            (county_d, 1, names[county_d] + "第二初级中学", "utf-8", JUNIOR_GRADES),
        )
        # School identifier codes are made up: 1, the county code, a serial.
        return [School("1%s%03d" % (county, serial), name, county,
                       random_phone(self.rng), encoding, grades)
                for county, serial, name, encoding, grades in plan]

    def unique_id(self, region, birth, gender, accept=None):
        """Return an unused valid ID number for which accept, if given,
        returns true. Gives up after 2000 draws."""
        for _ in range(2000):
            id_number = make_id(region, birth, random_sequence(self.rng, gender))
            if id_number in self.used_ids or (accept and not accept(id_number)):
                continue
            self.used_ids.add(id_number)
            return id_number
        raise SystemExit("gen_students.py: no free ID number for %s %s" % (region, birth))

    def unique_no_id_name(self, gender, birth):
        """Return a name that no other student without an ID number has with
        this gender and birth date."""
        for _ in range(100):
            name = random_name(self.rng, gender)
            if (name, gender, birth) not in self.no_id_keys:
                self.no_id_keys.add((name, gender, birth))
                return name
        raise SystemExit("gen_students.py: no unused name for %s %s" % (gender, birth))

    def student(self, school, gender=None, grade=None, id_type=ID_TYPE_RESIDENT,
                accept=None):
        """Add a new valid student to school and return it."""
        rng = self.rng
        gender = gender or rng.choice((GENDER_MALE, GENDER_FEMALE))
        grade = grade or rng.choice(list(school.grades))
        birth = random_birth(rng, grade, self.args.school_year)
        # Most children were born in the school's county.
        region = school.county if rng.random() < 0.8 else rng.choice(self.divisions.counties)
        id_number = ""
        name = None
        if id_type == ID_TYPE_RESIDENT:
            id_number = self.unique_id(region, birth, gender, accept)
        else:
            name = self.unique_no_id_name(gender, birth)
        student = new_student(rng, self.divisions, school.county, gender, birth, grade,
                              rng.randint(1, 2), id_number, id_type, name)
        school.students.append(student)
        return student

    def copy_student(self, school, original, name=None):
        """Add to school a record with the same key data as original."""
        rng = self.rng
        copy = new_student(rng, self.divisions, school.county, original.gender,
                           original.birth, original.grade, rng.randint(1, 2),
                           original.id_number, original.id_type, name or original.name)
        school.students.append(copy)
        return copy

    def plant(self, kind, school_a, student_a, school_b, student_b):
        """Record a duplicate between two rows, seen from both sides."""
        school_a.problems.append({"kind": kind, "student": student_a,
                                  "counterpart": (school_b, student_b)})
        school_b.problems.append({"kind": kind, "student": student_b,
                                  "counterpart": (school_a, student_a)})

    def plant_invalid(self, school, detail):
        """Add a student whose ID number fails one check: detail is
        check_digit, gender_digit or birth_date."""
        rng = self.rng
        student = self.student(school)
        if detail == "check_digit":
            right = student.id_number[-1]
            wrong = rng.choice([char for char in CHECK_CHARS if char != right])
            student.id_number = student.id_number[:17] + wrong
        elif detail == "gender_digit":
            student.gender = GENDER_FEMALE if student.gender == GENDER_MALE else GENDER_MALE
            student.name = random_name(rng, student.gender)
        elif detail == "birth_date":
            # Same grade, so only the ID number check can notice.
            first, last = birth_window(student.grade, self.args.school_year)
            for _ in range(100):
                other = first + datetime.timedelta(days=rng.randrange((last - first).days + 1))
                if other != student.birth:
                    student.birth = other
                    break
        school.problems.append({"kind": "id_invalid", "student": student, "detail": detail})

    def plant_format(self, school, fault, student, column, written, recoverable,
                     meant=None):
        """Write a faulty cell into student's row and record it."""
        student.overrides[column] = written
        school.format_faults.append({
            "fault": fault, "student": student, "column": column, "value": written,
            "recoverable": recoverable, "normalised": meant})

    def plant_all(self):
        school_a1, school_a2, school_b, school_c, school_d = self.schools
        rng = self.rng

        # (a) One ID number twice in one school, under two names.
        first = self.student(school_a1)
        second = self.copy_student(school_a1, first, random_name(rng, first.gender))
        self.plant("id_dup_school", school_a1, first, school_a1, second)

        # (b) The same child at two schools of county A.
        original = self.student(school_a1)
        self.plant("id_dup_county", school_a1, original,
                   school_a2, self.copy_student(school_a2, original))

        # (c) The same child in another county of the same city, and in a
        # county of another city.
        original = self.student(school_a1)
        self.plant("id_dup_province", school_a1, original,
                   school_b, self.copy_student(school_b, original))
        original = self.student(school_a2)
        self.plant("id_dup_province", school_a2, original,
                   school_c, self.copy_student(school_c, original))

        # (d) Two students without ID documents with the same name, gender
        # and birth date at schools of different counties.
        original = self.student(school_a2, id_type=ID_TYPE_NONE)
        self.plant("ngb_dup", school_a2, original,
                   school_b, self.copy_student(school_b, original))
        # The first school holds every kind, so its list alone shows them.
        original = self.student(school_a1, id_type=ID_TYPE_NONE)
        self.plant("ngb_dup", school_a1, original,
                   school_c, self.copy_student(school_c, original))

        # (e) ID numbers that fail the number check.
        self.plant_invalid(school_a1, "check_digit")
        self.plant_invalid(school_c, "check_digit")
        self.plant_invalid(school_b, "gender_digit")
        self.plant_invalid(school_d, "birth_date")

        self.plant_format_faults()

    def plant_format_faults(self):
        """(f) Cells that the client's template check must catch, each on an
        otherwise valid row."""
        school_a1, school_a2, _, _, school_d = self.schools

        student = self.student(school_a1, accept=lambda number: number[-1] == "X")
        self.plant_format(school_a1, "lowercase_x", student, "身份证件号",
                          student.id_number[:17] + "x", True, student.id_number)

        student = self.student(school_a1)
        spaced = " %s\u200b%s " % (student.name[0], student.name[1:])
        self.plant_format(school_a1, "stray_spaces", student, "姓名", spaced, True,
                          student.name)

        student = self.student(school_a2)
        full_width = student.id_number.translate(
            {ord(digit): 0xFF10 + int(digit) for digit in "0123456789"})
        self.plant_format(school_a2, "fullwidth_digits", student, "身份证件号",
                          full_width, True, student.id_number)

        student = self.student(school_d)
        serial = (student.birth - EXCEL_EPOCH).days
        self.plant_format(school_d, "excel_serial_date", student, "出生日期",
                          str(serial), True, student.birth.strftime("%Y%m%d"))

        student = self.student(school_d)
        dotted = "%d.%d.%d" % (student.birth.year, student.birth.month, student.birth.day)
        self.plant_format(school_d, "dotted_date", student, "出生日期", dotted, True,
                          student.birth.strftime("%Y%m%d"))

        # Excel shows an 18-digit number with 6 significant digits and keeps
        # only 15, so neither form can be turned back into the number.
        student = self.student(school_d)
        mantissa, exponent = ("%.5E" % int(student.id_number[:17] + "0")).split("E")
        scientific = "%sE%s" % (mantissa.rstrip("0").rstrip("."), exponent)
        self.plant_format(school_d, "scientific_notation", student, "身份证件号",
                          scientific, False)

        # The zeroed number must fail the check, or it would pass as valid.
        student = self.student(
            school_d, accept=lambda number: id_check_char(number[:15] + "00") != "0")
        self.plant_format(school_d, "excel_precision_loss", student, "身份证件号",
                          student.id_number[:15] + "000", False)

    def fill(self):
        """Add normal students so that each school has 20-40 of them."""
        for school in self.schools:
            for _ in range(self.rng.randint(20, 40)):
                self.student(school)
            # One ordinary student without an ID document per school.
            self.student(school, id_type=ID_TYPE_NONE)

    def order(self, school):
        """Sort rows by grade and class, and number them within each class."""
        self.rng.shuffle(school.students)
        school.students.sort(key=lambda student: (student.grade, student.class_number))
        counters = {}
        for student in school.students:
            key = (student.grade, student.class_number)
            counters[key] = counters.get(key, 0) + 1
            student.number_in_class = counters[key]

    def write(self):
        args = self.args
        os.makedirs(args.outdir, exist_ok=True)
        for school in self.schools:
            self.order(school)
            path = os.path.join(args.outdir, school.file)
            with open(path, "w", encoding=school.encoding, newline="") as output:
                writer = csv.writer(output)
                writer.writerow(HEADERS)
                for student in school.students:
                    writer.writerow(student.row(args.school_year))

        with open(os.path.join(args.outdir, "schools.csv"), "w", encoding="utf-8",
                  newline="") as output:
            writer = csv.writer(output)
            writer.writerow(("code", "name", "county", "phone", "encoding", "file"))
            for school in self.schools:
                writer.writerow((school.code, school.name, school.county, school.phone,
                                 school.encoding, school.file))

        with open(os.path.join(args.outdir, "expected.json"), "w", encoding="utf-8") as output:
            json.dump(self.expected(), output, ensure_ascii=False, indent=2)
            output.write("\n")

    def line_of(self, school, student):
        """Return the file line of student's row, counting the header as 1."""
        for index, candidate in enumerate(school.students):
            if candidate is student:
                return index + 2
        raise AssertionError("student not in school %s" % school.code)

    def expected(self):
        files = {}
        for school in self.schools:
            problems = []
            for problem in school.problems:
                student = problem["student"]
                entry = {"kind": problem["kind"], "line": self.line_of(school, student),
                         "name": student.name, "id_number": student.id_number}
                if "counterpart" in problem:
                    other_school, other = problem["counterpart"]
                    entry["counterpart"] = {
                        "school": other_school.code, "file": other_school.file,
                        "county": other_school.county,
                        "line": self.line_of(other_school, other)}
                if "detail" in problem:
                    entry["detail"] = problem["detail"]
                if problem["kind"] == "ngb_dup":
                    entry["gender"] = student.gender
                    entry["birth_date"] = student.birth.strftime("%Y%m%d")
                problems.append(entry)
            faults = []
            for fault in school.format_faults:
                faults.append({
                    "fault": fault["fault"],
                    "line": self.line_of(school, fault["student"]),
                    "column": fault["column"], "value": fault["value"],
                    "recoverable": fault["recoverable"],
                    "normalised": fault["normalised"]})
            problems.sort(key=lambda entry: (entry["line"], entry["kind"]))
            faults.sort(key=lambda entry: entry["line"])
            files[school.file] = {
                "school": school.code, "county": school.county,
                "encoding": school.encoding, "rows": len(school.students),
                "problems": problems, "format_faults": faults}
        return {
            "province": self.args.province, "seed": self.args.seed,
            "school_year": self.args.school_year,
            "kinds": {
                "id_dup_school": "ID number duplicated inside the school",
                "id_dup_county": "ID number duplicated at another school of the county",
                "id_dup_province": "ID number duplicated in another county of the province",
                "ngb_dup": "no ID number, and name + gender + birth date match another record",
                "id_invalid": "ID number fails the number check (see detail)",
            },
            "files": files,
        }


def command_demo(args):
    demo = Demo(args)
    demo.plant_all()
    demo.fill()
    demo.write()
    for school in demo.schools:
        print("%s  %s  %s  %d rows, %d problems, %d format faults" % (
            school.file, school.name, school.encoding, len(school.students),
            len(school.problems), len(school.format_faults)), file=sys.stderr)
    print("wrote schools.csv and expected.json to %s" % args.outdir, file=sys.stderr)


def province_code(text):
    if len(text) != 2 or not text.isdigit():
        raise argparse.ArgumentTypeError("expected a 2-digit province code, such as 41")
    return text


def rate(text):
    value = float(text)
    if not 0.0 <= value <= 0.5:
        raise argparse.ArgumentTypeError("expected a fraction from 0 to 0.5")
    return value


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("expected a positive integer")
    return value


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="gen_students.py",
        description="Generate synthetic student import templates (CSV) with made-up "
                    "names and valid-looking ID numbers.",
        epilog="Examples:\n"
               "  gen_students.py bulk --province 41 --count 100000 --out students.csv\n"
               "  gen_students.py demo --province 41 --outdir demo/",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--province", type=province_code, required=True,
                        help="2-digit province code whose county codes the ID numbers use")
    common.add_argument("--seed", type=int, default=1,
                        help="random seed; equal arguments and seed give equal files "
                             "(default 1)")
    common.add_argument("--school-year", type=int, default=2024,
                        help="year in which the current school year started; sets birth "
                             "dates and enrolment months (default 2024)")
    common.add_argument("--divisions", default=DIVISIONS_DIR,
                        help="folder with provinces.csv, cities.csv and areas.csv "
                             "(default: common/divisions of this repository)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    bulk = commands.add_parser(
        "bulk", parents=[common], help="write one file of distinct students",
        description="Write COUNT students with distinct ID numbers into one template "
                    "file, in classes of %d." % CLASS_SIZE)
    bulk.add_argument("--count", type=positive, required=True, help="number of students")
    bulk.add_argument("--out", required=True, help="output CSV file")
    bulk.add_argument("--encoding", choices=("utf-8", "utf-8-sig", "gb18030"),
                      default="utf-8",
                      help="file encoding; utf-8-sig writes a byte-order mark "
                           "(default utf-8)")
    bulk.add_argument("--no-id-rate", type=rate, default=0.01,
                      help="fraction of students with ID type Z and no ID number "
                           "(default 0.01)")
    bulk.add_argument("--junior", action="store_true",
                      help="junior middle school grades 七年级-九年级 instead of "
                           "primary grades 一年级-六年级")
    bulk.set_defaults(handler=command_bulk)

    demo = commands.add_parser(
        "demo", parents=[common], help="write demo schools with planted problems",
        description="Write one template per demo school, schools.csv describing the "
                    "schools, and expected.json listing the planted problem "
                    "registrations and format faults with their file lines "
                    "(header = line 1).")
    demo.add_argument("--outdir", required=True, help="output folder, created if missing")
    demo.set_defaults(handler=command_demo)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    args.handler(args)


if __name__ == "__main__":
    main()
