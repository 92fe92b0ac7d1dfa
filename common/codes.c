/* SPDX-License-Identifier: MIT */
/*
 * Code tables of the national student form and lookups by code or name.
 * Values reach codes_lookup already normalised (NFC, ASCII digits), so this
 * file only folds ASCII case, restores leading zeros that Excel drops, and
 * accepts "code-name" combinations such as "01-汉族".
 */
#include "codes.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

static const struct codes_entry codes_gender[] = {
    {"1", "男"},
    {"2", "女"},
};

static const struct codes_entry codes_id_type[] = {
    {"1", "居民身份证"},
    {"6", "香港特区护照/身份证明"},
    {"7", "澳门特区护照/身份证明"},
    {"8", "台湾居民来往大陆通行证"},
    {"9", "境外永久居住证"},
    {"A", "护照"},
    {"Z", "其他"},
};

/* GB 3304-1991 codes of the 56 ethnic groups, plus 97 and 98. */
static const struct codes_entry codes_ethnicity[] = {
    {"01", "汉族"}, {"02", "蒙古族"}, {"03", "回族"}, {"04", "藏族"},
    {"05", "维吾尔族"}, {"06", "苗族"}, {"07", "彝族"}, {"08", "壮族"},
    {"09", "布依族"}, {"10", "朝鲜族"}, {"11", "满族"}, {"12", "侗族"},
    {"13", "瑶族"}, {"14", "白族"}, {"15", "土家族"}, {"16", "哈尼族"},
    {"17", "哈萨克族"}, {"18", "傣族"}, {"19", "黎族"}, {"20", "傈僳族"},
    {"21", "佤族"}, {"22", "畲族"}, {"23", "高山族"}, {"24", "拉祜族"},
    {"25", "水族"}, {"26", "东乡族"}, {"27", "纳西族"}, {"28", "景颇族"},
    {"29", "柯尔克孜族"}, {"30", "土族"}, {"31", "达斡尔族"},
    {"32", "仫佬族"}, {"33", "羌族"}, {"34", "布朗族"}, {"35", "撒拉族"},
    {"36", "毛南族"}, {"37", "仡佬族"}, {"38", "锡伯族"}, {"39", "阿昌族"},
    {"40", "普米族"}, {"41", "塔吉克族"}, {"42", "怒族"},
    {"43", "乌孜别克族"}, {"44", "俄罗斯族"}, {"45", "鄂温克族"},
    {"46", "德昂族"}, {"47", "保安族"}, {"48", "裕固族"}, {"49", "京族"},
    {"50", "塔塔尔族"}, {"51", "独龙族"}, {"52", "鄂伦春族"},
    {"53", "赫哲族"}, {"54", "门巴族"}, {"55", "珞巴族"}, {"56", "基诺族"},
    {"97", "其他"}, {"98", "外国血统中国籍人士"},
};

/*
 * ISO 3166-1 alpha-3 codes (GB/T 2659 uses the same letters), generated from
 * the Debian iso-codes 4.15 list with its zh_CN short names. Hong Kong,
 * Macau and Taiwan carry the names the national form uses.
 */
static const struct codes_entry codes_nationality[] = {
    {"ABW", "阿鲁巴"},
    {"AFG", "阿富汗"},
    {"AGO", "安哥拉"},
    {"AIA", "安圭拉"},
    {"ALA", "奥兰群岛"},
    {"ALB", "阿尔巴尼亚"},
    {"AND", "安道尔"},
    {"ARE", "阿联酋"},
    {"ARG", "阿根廷"},
    {"ARM", "亚美尼亚"},
    {"ASM", "美属萨摩亚"},
    {"ATA", "南极洲"},
    {"ATF", "法属南半球领地"},
    {"ATG", "安提瓜和巴布达"},
    {"AUS", "澳大利亚"},
    {"AUT", "奥地利"},
    {"AZE", "阿塞拜疆"},
    {"BDI", "布隆迪"},
    {"BEL", "比利时"},
    {"BEN", "贝宁"},
    {"BES", "博奈尔、圣尤斯特歇斯岛和萨巴"},
    {"BFA", "布基纳法索"},
    {"BGD", "孟加拉"},
    {"BGR", "保加利亚"},
    {"BHR", "巴林"},
    {"BHS", "巴哈马"},
    {"BIH", "波斯尼亚和黑塞哥维那"},
    {"BLM", "圣巴泰勒米岛"},
    {"BLR", "白俄罗斯"},
    {"BLZ", "伯利兹"},
    {"BMU", "百慕大"},
    {"BOL", "玻利维亚共和国"},
    {"BRA", "巴西"},
    {"BRB", "巴巴多斯"},
    {"BRN", "文莱"},
    {"BTN", "不丹"},
    {"BVT", "布维群岛"},
    {"BWA", "博兹瓦那"},
    {"CAF", "中非"},
    {"CAN", "加拿大"},
    {"CCK", "科科斯群岛"},
    {"CHE", "瑞士"},
    {"CHL", "智利"},
    {"CHN", "中国"},
    {"CIV", "科特迪瓦"},
    {"CMR", "喀麦隆"},
    {"COD", "刚果民主共和国"},
    {"COG", "刚果"},
    {"COK", "库克群岛"},
    {"COL", "哥伦比亚"},
    {"COM", "科摩罗"},
    {"CPV", "佛得角"},
    {"CRI", "哥斯达黎加"},
    {"CUB", "古巴"},
    {"CUW", "库拉索"},
    {"CXR", "圣诞岛"},
    {"CYM", "开曼群岛"},
    {"CYP", "塞浦路斯"},
    {"CZE", "捷克"},
    {"DEU", "德国"},
    {"DJI", "吉布提"},
    {"DMA", "多米尼克"},
    {"DNK", "丹麦"},
    {"DOM", "多米尼加共和国"},
    {"DZA", "阿尔及利亚"},
    {"ECU", "厄瓜多尔"},
    {"EGY", "埃及"},
    {"ERI", "厄立特里亚"},
    {"ESH", "西撒哈拉"},
    {"ESP", "西班牙"},
    {"EST", "爱沙尼亚"},
    {"ETH", "埃塞俄比亚"},
    {"FIN", "芬兰"},
    {"FJI", "斐济"},
    {"FLK", "福克兰群岛(马尔维纳斯)"},
    {"FRA", "法国"},
    {"FRO", "法罗群岛"},
    {"FSM", "密克罗尼西亚"},
    {"GAB", "加蓬"},
    {"GBR", "英国"},
    {"GEO", "格鲁吉亚"},
    {"GGY", "根西岛"},
    {"GHA", "加纳"},
    {"GIB", "直布罗陀"},
    {"GIN", "几内亚"},
    {"GLP", "瓜德罗普"},
    {"GMB", "冈比亚"},
    {"GNB", "几内亚比绍"},
    {"GNQ", "赤道几内亚"},
    {"GRC", "希腊"},
    {"GRD", "格林纳达"},
    {"GRL", "格陵兰"},
    {"GTM", "瓜地马拉"},
    {"GUF", "法属圭亚那"},
    {"GUM", "关岛"},
    {"GUY", "圭亚那"},
    {"HKG", "中国香港"},
    {"HMD", "赫德岛与麦克唐纳群岛"},
    {"HND", "洪都拉斯"},
    {"HRV", "克罗地亚"},
    {"HTI", "海地"},
    {"HUN", "匈牙利"},
    {"IDN", "印度尼西亚"},
    {"IMN", "曼岛"},
    {"IND", "印度"},
    {"IOT", "英属印度洋领地"},
    {"IRL", "爱尔兰"},
    {"IRN", "伊朗伊斯兰共和国"},
    {"IRQ", "伊拉克"},
    {"ISL", "冰岛"},
    {"ISR", "以色列"},
    {"ITA", "意大利"},
    {"JAM", "牙买加"},
    {"JEY", "泽西岛"},
    {"JOR", "约旦"},
    {"JPN", "日本"},
    {"KAZ", "哈萨克斯坦"},
    {"KEN", "肯尼亚"},
    {"KGZ", "吉尔吉斯坦"},
    {"KHM", "柬埔塞"},
    {"KIR", "基里巴斯"},
    {"KNA", "圣基茨和尼维斯"},
    {"KOR", "韩国"},
    {"KWT", "科威特"},
    {"LAO", "老挝人民民主共和国"},
    {"LBN", "黎巴嫩"},
    {"LBR", "利比里亚"},
    {"LBY", "利比亚"},
    {"LCA", "圣路西亚"},
    {"LIE", "列支敦士登"},
    {"LKA", "斯里兰卡"},
    {"LSO", "莱索托"},
    {"LTU", "立陶宛"},
    {"LUX", "卢森堡"},
    {"LVA", "拉脱维亚"},
    {"MAC", "中国澳门"},
    {"MAF", "法属圣马丁"},
    {"MAR", "摩洛哥"},
    {"MCO", "摩纳哥"},
    {"MDA", "摩尔多瓦共和国"},
    {"MDG", "马达加斯加"},
    {"MDV", "马尔代夫"},
    {"MEX", "墨西哥"},
    {"MHL", "马绍尔群岛"},
    {"MKD", "北马其顿"},
    {"MLI", "马里"},
    {"MLT", "马尔他"},
    {"MMR", "缅甸"},
    {"MNE", "黑山"},
    {"MNG", "蒙古"},
    {"MNP", "北马里亚纳群岛"},
    {"MOZ", "莫桑比克"},
    {"MRT", "毛里塔尼亚"},
    {"MSR", "蒙塞拉特岛"},
    {"MTQ", "马提尼克"},
    {"MUS", "毛里求斯"},
    {"MWI", "马拉维"},
    {"MYS", "马来西亚"},
    {"MYT", "马约特"},
    {"NAM", "纳米比亚"},
    {"NCL", "新喀里多尼亚"},
    {"NER", "尼日尔"},
    {"NFK", "诺福克岛"},
    {"NGA", "尼日利亚"},
    {"NIC", "尼加拉瓜"},
    {"NIU", "纽埃"},
    {"NLD", "荷兰"},
    {"NOR", "挪威"},
    {"NPL", "尼泊尔"},
    {"NRU", "瑙鲁"},
    {"NZL", "新西兰"},
    {"OMN", "阿曼"},
    {"PAK", "巴基斯坦"},
    {"PAN", "巴拿马"},
    {"PCN", "皮特克恩"},
    {"PER", "秘鲁"},
    {"PHL", "菲律宾"},
    {"PLW", "帕劳"},
    {"PNG", "巴布亚新几内亚"},
    {"POL", "波兰"},
    {"PRI", "波多黎各"},
    {"PRK", "朝鲜"},
    {"PRT", "葡萄牙"},
    {"PRY", "巴拉圭"},
    {"PSE", "巴勒斯坦"},
    {"PYF", "法属玻利尼西亚"},
    {"QAT", "卡塔尔"},
    {"REU", "留尼汪"},
    {"ROU", "罗马尼亚"},
    {"RUS", "俄罗斯"},
    {"RWA", "卢旺达"},
    {"SAU", "沙特阿拉伯"},
    {"SDN", "苏丹"},
    {"SEN", "塞内加尔"},
    {"SGP", "新加坡"},
    {"SGS", "南乔治亚岛和南桑德韦奇岛"},
    {"SHN", "圣赫勒拿-阿森松-特里斯坦达库尼亚"},
    {"SJM", "斯瓦尔巴特和扬马延岛"},
    {"SLB", "所罗门群岛"},
    {"SLE", "塞拉利昂"},
    {"SLV", "萨尔瓦多"},
    {"SMR", "圣马力诺市"},
    {"SOM", "索马里"},
    {"SPM", "圣皮埃尔和密克隆"},
    {"SRB", "塞尔维亚"},
    {"SSD", "南苏丹"},
    {"STP", "圣多美和普林西比"},
    {"SUR", "苏里南"},
    {"SVK", "斯洛伐克"},
    {"SVN", "斯洛文尼亚"},
    {"SWE", "瑞典"},
    {"SWZ", "斯威士兰"},
    {"SXM", "荷属圣马丁"},
    {"SYC", "塞舌尔"},
    {"SYR", "阿拉伯叙利亚共和国"},
    {"TCA", "特克斯和凯科斯群岛"},
    {"TCD", "乍得"},
    {"TGO", "多哥"},
    {"THA", "泰国"},
    {"TJK", "塔吉克斯坦"},
    {"TKL", "托克劳"},
    {"TKM", "土库曼斯坦"},
    {"TLS", "东帝汶"},
    {"TON", "汤加"},
    {"TTO", "特里尼达和多巴哥"},
    {"TUN", "突尼斯"},
    {"TUR", "土耳其"},
    {"TUV", "图瓦卢"},
    {"TWN", "中国台湾"},
    {"TZA", "坦桑尼亚"},
    {"UGA", "乌干达"},
    {"UKR", "乌克兰"},
    {"UMI", "美国本土外小岛屿"},
    {"URY", "乌拉圭"},
    {"USA", "美国"},
    {"UZB", "乌兹别克斯坦"},
    {"VAT", "梵地冈"},
    {"VCT", "圣文森特和格林纳丁斯"},
    {"VEN", "委内瑞拉玻利瓦尔共和国"},
    {"VGB", "英属维尔京群岛"},
    {"VIR", "美属维尔京群岛"},
    {"VNM", "越南"},
    {"VUT", "瓦努阿图"},
    {"WLF", "瓦利斯和富图纳"},
    {"WSM", "萨摩亚"},
    {"YEM", "也门"},
    {"ZAF", "南非"},
    {"ZMB", "赞比亚"},
    {"ZWE", "津巴布韦"},
};

/* NOTE: 11-16 and 21-25 come from secondary sources only. */
static const struct codes_entry codes_overseas_status[] = {
    {"00", "否"},
    {"11", "香港同胞"},
    {"12", "香港同胞亲属"},
    {"13", "澳门同胞"},
    {"14", "澳门同胞亲属"},
    {"15", "台湾同胞"},
    {"16", "台湾同胞亲属"},
    {"21", "华侨"},
    {"22", "侨眷"},
    {"23", "归侨"},
    {"24", "归侨子女"},
    {"25", "归国留学人员"},
    {"31", "非华裔中国人"},
    {"41", "外籍华裔人"},
    {"51", "外国人"},
    {"99", "其他"},
};

static const struct codes_entry codes_health[] = {
    {"10", "健康或良好"},
    {"20", "一般或较弱"},
    {"30", "有慢性病"},
    {"40", "有生理缺陷"},
    {"50", "残疾"},
};

static const struct codes_entry codes_household_type[] = {
    {"1", "农业"},
    {"2", "非农业"},
};

static const struct codes_entry codes_attendance[] = {
    {"1", "走读"},
    {"2", "住校"},
};

/* 11 and 12 are for compulsory education, 21-23 for senior high school.
 * "其他" matches 12 first because name lookups return the first match. */
static const struct codes_entry codes_entry_mode[] = {
    {"11", "就近入学"},
    {"12", "其他"},
    {"21", "统一招生考试/普通入学"},
    {"22", "体育特招"},
    {"23", "艺术特招"},
    {"99", "其他"},
};

struct codes_alias {
    const char *alias;
    const char *code;
};

/* Other spellings of the gender that registrars use. */
static const struct codes_alias codes_gender_aliases[] = {
    {"男性", "1"}, {"女性", "2"}, {"M", "1"}, {"F", "2"},
    {"MALE", "1"}, {"FEMALE", "2"},
};

#define CODES_TABLE(t) {t, sizeof(t) / sizeof((t)[0])}

static const struct {
    const struct codes_entry *entries;
    size_t count;
} codes_tables[CODES_TABLE_COUNT] = {
    [CODES_GENDER] = CODES_TABLE(codes_gender),
    [CODES_ID_TYPE] = CODES_TABLE(codes_id_type),
    [CODES_ETHNICITY] = CODES_TABLE(codes_ethnicity),
    [CODES_NATIONALITY] = CODES_TABLE(codes_nationality),
    [CODES_OVERSEAS_STATUS] = CODES_TABLE(codes_overseas_status),
    [CODES_HEALTH] = CODES_TABLE(codes_health),
    [CODES_HOUSEHOLD_TYPE] = CODES_TABLE(codes_household_type),
    [CODES_ATTENDANCE] = CODES_TABLE(codes_attendance),
    [CODES_ENTRY_MODE] = CODES_TABLE(codes_entry_mode),
};

const struct codes_entry *
codes_entries(enum codes_table table, size_t *count)
{
    if ((unsigned)table >= CODES_TABLE_COUNT) {
        *count = 0;
        return NULL;
    }
    *count = codes_tables[table].count;
    return codes_tables[table].entries;
}

static const struct codes_entry *
codes_find_code(enum codes_table table, const char *code, size_t len)
{
    size_t count;
    const struct codes_entry *entries = codes_entries(table, &count);

    /* The codes of a table differ even with ASCII case ignored, so an entry
     * whose code equals code is the one that the search below finds. */
    for (size_t i = 0; i < count; i++) {
        if (len > 0 && entries[i].code[0] == code[0]
            && strncmp(entries[i].code, code, len) == 0
            && entries[i].code[len] == '\0') {
            return &entries[i];
        }
    }
    for (size_t i = 0; i < count; i++) {
        if (strlen(entries[i].code) == len
            && strncasecmp(entries[i].code, code, len) == 0) {
            return &entries[i];
        }
    }
    return NULL;
}

/* Matches a whole name, or one part of a name written "a/b". */
static bool
codes_name_matches(const char *name, const char *value)
{
    const char *slash;

    if (strcasecmp(name, value) == 0) {
        return true;
    }
    slash = strchr(name, '/');
    if (slash == NULL) {
        return false;
    }
    if (strncmp(name, value, (size_t)(slash - name)) == 0
        && value[slash - name] == '\0') {
        return true;
    }
    return strcmp(slash + 1, value) == 0;
}

static const struct codes_entry *
codes_find_name(enum codes_table table, const char *value)
{
    size_t count;
    const struct codes_entry *entries = codes_entries(table, &count);

    for (size_t i = 0; i < count; i++) {
        if (codes_name_matches(entries[i].name, value)) {
            return &entries[i];
        }
    }
    return NULL;
}

/* Finds a code, restoring a leading zero that Excel drops from numeric
 * cells ("1" for "01") in tables whose codes have two digits. */
static const struct codes_entry *
codes_find_code_padded(enum codes_table table, const char *value)
{
    const struct codes_entry *entry;
    char padded[3];
    size_t len = strlen(value);

    entry = codes_find_code(table, value, len);
    if (entry != NULL || len != 1 || value[0] < '0' || value[0] > '9') {
        return entry;
    }
    padded[0] = '0';
    padded[1] = value[0];
    padded[2] = '\0';
    entry = codes_find_code(table, padded, 2);
    if (entry != NULL && strlen(entry->code) == 2) {
        return entry;
    }
    return NULL;
}

/* Matches "<code><separator><name>" and "<code><name>", as in "01-汉族",
 * "1 男" or "01汉族", when the name belongs to the code. */
static const struct codes_entry *
codes_find_combined(enum codes_table table, const char *value)
{
    size_t count;
    const struct codes_entry *entries = codes_entries(table, &count);

    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(entries[i].code);
        const char *rest = value + len;

        if (strncasecmp(value, entries[i].code, len) != 0) {
            continue;
        }
        if (*rest == '-' || *rest == ' ' || *rest == ':' || *rest == '.') {
            rest++;
        }
        if (*rest != '\0' && strcmp(rest, entries[i].name) == 0) {
            return &entries[i];
        }
    }
    return NULL;
}

static const char *
codes_find_alias(enum codes_table table, const char *value)
{
    size_t count =
        sizeof(codes_gender_aliases) / sizeof(codes_gender_aliases[0]);

    if (table != CODES_GENDER) {
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        if (strcasecmp(codes_gender_aliases[i].alias, value) == 0) {
            return codes_gender_aliases[i].code;
        }
    }
    return NULL;
}

/* Finds an ethnic group written without the final "族" ("汉" for 汉族). */
static const struct codes_entry *
codes_find_ethnicity_short(const char *value)
{
    size_t count;
    const struct codes_entry *entries = codes_entries(CODES_ETHNICITY, &count);
    size_t len = strlen(value);

    for (size_t i = 0; i < count; i++) {
        const char *name = entries[i].name;

        if (len > 0 && strncmp(name, value, len) == 0
            && strcmp(name + len, "族") == 0) {
            return &entries[i];
        }
    }
    return NULL;
}

const char *
codes_lookup(enum codes_table table, const char *value)
{
    const struct codes_entry *entry;
    const char *alias;

    if (value == NULL || *value == '\0'
        || (unsigned)table >= CODES_TABLE_COUNT) {
        return NULL;
    }
    entry = codes_find_code_padded(table, value);
    if (entry == NULL) {
        entry = codes_find_name(table, value);
    }
    if (entry == NULL) {
        entry = codes_find_combined(table, value);
    }
    if (entry == NULL && table == CODES_ETHNICITY) {
        entry = codes_find_ethnicity_short(value);
    }
    if (entry != NULL) {
        return entry->code;
    }
    alias = codes_find_alias(table, value);
    return alias;
}

const char *
codes_name(enum codes_table table, const char *code)
{
    const struct codes_entry *entry;

    if (code == NULL || (unsigned)table >= CODES_TABLE_COUNT) {
        return NULL;
    }
    entry = codes_find_code(table, code, strlen(code));
    return entry != NULL ? entry->name : NULL;
}
