// normalize_for_speech(): numbers, dates, times, currency, units, abbreviations and symbols to
// English words. Declared in text_shaping.h. Each rule is one regular expression plus a function
// that writes the words; rules run in order, earlier (more specific) rules first, and later rules
// never see digits an earlier rule already turned into words.
#include <array>
#include <cstdint>
#include <functional>
#include <regex>
#include <string>

#include "tts/number_words.h"
#include "tts/text_shaping.h"
#include "tts/utf8.h"

namespace parley::tts {
namespace {

using Replacer = std::function<std::string(const std::smatch&)>;

std::string replace_all(const std::string& text, const std::regex& pattern,
                        const Replacer& replace) {
  std::string out;
  auto begin = std::sregex_iterator(text.begin(), text.end(), pattern);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& match = *it;
    out.append(text, last, size_t(match.position(0)) - last);
    out += replace(match);
    last = size_t(match.position(0) + match.length(0));
  }
  out.append(text, last, std::string::npos);
  return out;
}

// "1,234" -> 1234; saturates instead of overflowing (callers read huge values digit by digit).
bool parse_integer(const std::string& digits, int64_t& value) {
  value = 0;
  int count = 0;
  for (char c : digits) {
    if (c == ',') continue;
    if (c < '0' || c > '9') return false;
    if (++count > 18) return false;
    value = value * 10 + (c - '0');
  }
  return count > 0;
}

// Integer part (may have thousands commas) plus optional ".fraction" parts.
std::string number_text_words(const std::string& number) {
  const size_t dot = number.find('.');
  const std::string integer_part = number.substr(0, dot);
  int64_t value = 0;
  std::string out =
      parse_integer(integer_part, value) ? cardinal_words(value) : digit_words(integer_part);
  size_t position = dot;
  while (position != std::string::npos) {
    const size_t next = number.find('.', position + 1);
    out += " point " + digit_words(number.substr(
                           position + 1, next == std::string::npos ? next : next - position - 1));
    position = next;
  }
  return out;
}

bool is_exactly_one(const std::string& number) {
  return number == "1";
}

constexpr const char* kNumber = R"((\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)*))";

constexpr std::array<const char*, 12> kMonths = {"January",   "February", "March",    "April",
                                                 "May",       "June",     "July",     "August",
                                                 "September", "October",  "November", "December"};

int month_from_name(const std::string& name) {
  for (int i = 0; i < 12; ++i) {
    const std::string month = kMonths[i];
    if (name == month || name == month.substr(0, 3) || name == month.substr(0, 3) + "." ||
        (i == 8 && (name == "Sept" || name == "Sept."))) {
      return i + 1;
    }
  }
  return 0;
}

std::string date_words(int month, int day, int64_t year) {
  std::string out = std::string(kMonths[month - 1]) + " " + ordinal_words(day);
  if (year >= 0) out += ", " + year_words(year);
  return out;
}

struct Unit {
  const char* symbol;
  const char* singular;
  const char* plural;
};

// Longest symbols first so "km/h" wins over "km" and "ms" over "m".
constexpr Unit kUnits[] = {
    {"km/h", "kilometer per hour", "kilometers per hour"},
    {"m/s", "meter per second", "meters per second"},
    {"mph", "mile per hour", "miles per hour"},
    {"kph", "kilometer per hour", "kilometers per hour"},
    {"°C", "degree Celsius", "degrees Celsius"},
    {"°F", "degree Fahrenheit", "degrees Fahrenheit"},
    {"kWh", "kilowatt hour", "kilowatt hours"},
    {"mAh", "milliamp hour", "milliamp hours"},
    {"kHz", "kilohertz", "kilohertz"},
    {"MHz", "megahertz", "megahertz"},
    {"GHz", "gigahertz", "gigahertz"},
    {"Hz", "hertz", "hertz"},
    {"kW", "kilowatt", "kilowatts"},
    {"km", "kilometer", "kilometers"},
    {"cm", "centimeter", "centimeters"},
    {"mm", "millimeter", "millimeters"},
    {"mi", "mile", "miles"},
    {"ft", "foot", "feet"},
    {"kg", "kilogram", "kilograms"},
    {"mg", "milligram", "milligrams"},
    {"lbs", "pound", "pounds"},
    {"lb", "pound", "pounds"},
    {"oz", "ounce", "ounces"},
    {"ml", "milliliter", "milliliters"},
    {"mL", "milliliter", "milliliters"},
    {"TB", "terabyte", "terabytes"},
    {"GB", "gigabyte", "gigabytes"},
    {"MB", "megabyte", "megabytes"},
    {"KB", "kilobyte", "kilobytes"},
    {"kB", "kilobyte", "kilobytes"},
    {"ms", "millisecond", "milliseconds"},
    {"sec", "second", "seconds"},
    {"min", "minute", "minutes"},
    {"hrs", "hour", "hours"},
    {"hr", "hour", "hours"},
    {"dB", "decibel", "decibels"},
    {"°", "degree", "degrees"},
    {"W", "watt", "watts"},
    {"V", "volt", "volts"},
    {"L", "liter", "liters"},
    {"m", "meter", "meters"},
    {"g", "gram", "grams"},
    {"s", "second", "seconds"},
    {"h", "hour", "hours"},
};

std::string escape_regex(const std::string& text) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\/])");
  return std::regex_replace(text, special, R"(\$&)");
}

std::string unit_alternation() {
  std::string alternation;
  for (const Unit& unit : kUnits) {
    if (!alternation.empty()) alternation += '|';
    alternation += escape_regex(unit.symbol);
  }
  return alternation;
}

const Unit* find_unit(const std::string& symbol) {
  for (const Unit& unit : kUnits) {
    if (symbol == unit.symbol) return &unit;
  }
  return nullptr;
}

struct Currency {
  const char* symbol;
  const char* singular;
  const char* plural;
  const char* cent_singular;
  const char* cent_plural;
};
constexpr Currency kCurrencies[] = {{"$", "dollar", "dollars", "cent", "cents"},
                                    {"€", "euro", "euros", "cent", "cents"},
                                    {"£", "pound", "pounds", "penny", "pence"},
                                    {"¥", "yen", "yen", "sen", "sen"}};

std::string currency_words(const Currency& currency, const std::string& number,
                           const std::string& scale) {
  if (!scale.empty()) return number_text_words(number) + " " + scale + " " + currency.plural;
  const size_t dot = number.find('.');
  int64_t whole = 0;
  if (!parse_integer(number.substr(0, dot), whole))
    return number_text_words(number) + " " + currency.plural;
  int64_t cents = 0;
  if (dot != std::string::npos) {
    std::string fraction = number.substr(dot + 1);
    if (fraction.size() != 2) return number_text_words(number) + " " + currency.plural;
    cents = (fraction[0] - '0') * 10 + (fraction[1] - '0');
  }
  std::string out;
  if (whole > 0 || cents == 0)
    out = cardinal_words(whole) + " " + (whole == 1 ? currency.singular : currency.plural);
  if (cents > 0) {
    if (!out.empty()) out += " and ";
    out +=
        cardinal_words(cents) + " " + (cents == 1 ? currency.cent_singular : currency.cent_plural);
  }
  return out;
}

bool has_vowel(const std::string& word) {
  return word.find_first_of("AEIOUY") != std::string::npos;
}

std::string spell_letters(const std::string& word) {
  std::string out;
  for (char c : word) {
    if (!out.empty()) out += ' ';
    out += c;
  }
  return out;
}

// One piece of at most kRegexPieceBytes (normalize_for_speech cuts longer text).
std::string normalize_piece(std::string_view plain_text) {
  std::string text(plain_text);
  const std::string number = kNumber;

  // Abbreviations (before sentence punctuation is interpreted by anyone downstream).
  static const std::pair<std::regex, const char*> kAbbreviations[] = {
      {std::regex(R"(\be\.g\.(?=\s|,|$))"), "for example"},
      {std::regex(R"(\bi\.e\.(?=\s|,|$))"), "that is"},
      {std::regex(R"(\betc\.(?=\s*[,;:)]|\s+[a-z]))"), "et cetera"},
      {std::regex(R"(\betc\.)"), "et cetera."},
      {std::regex(R"(\bvs\.?(?=\s))"), "versus"},
      {std::regex(R"(\bapprox\.(?=\s))"), "approximately"},
      {std::regex(R"(\bDr\.(?=\s))"), "Doctor"},
      {std::regex(R"(\bMr\.(?=\s))"), "Mister"},
      {std::regex(R"(\bMrs\.(?=\s))"), "Missus"},
      {std::regex(R"(\bMs\.(?=\s))"), "Miz"},
      {std::regex(R"(\bProf\.(?=\s))"), "Professor"},
      {std::regex(R"(\bNo\.(?=\s*\d))"), "number"},
      {std::regex(R"(\bOK\b)"), "okay"},
  };
  for (const auto& [pattern, words] : kAbbreviations)
    text = std::regex_replace(text, pattern, words);

  // Dates.
  static const std::regex iso_date(R"(\b(\d{4})-(\d{2})-(\d{2})\b)");
  text = replace_all(text, iso_date, [](const std::smatch& m) {
    const int month = std::stoi(m[2]), day = std::stoi(m[3]);
    if (month < 1 || month > 12 || day < 1 || day > 31) return m.str(0);
    return date_words(month, day, std::stoll(m[1]));
  });
  static const std::regex numeric_date(R"(\b(\d{1,2})/(\d{1,2})/(\d{4})\b)");
  text = replace_all(text, numeric_date, [](const std::smatch& m) {
    int month = std::stoi(m[1]), day = std::stoi(m[2]);
    if (month > 12 && day <= 12) std::swap(month, day);  // D/M/YYYY when M/D cannot be
    if (month < 1 || month > 12 || day < 1 || day > 31) return m.str(0);
    return date_words(month, day, std::stoll(m[3]));
  });
  static const std::string month_names =
      R"((January|February|March|April|May|June|July|August|September|October|November|December|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?))";
  static const std::regex month_day(R"(\b)" + month_names +
                                    R"( (\d{1,2})(?:st|nd|rd|th)?(?:,? (\d{4}))?\b)");
  text = replace_all(text, month_day, [](const std::smatch& m) {
    const int month = month_from_name(m[1]), day = std::stoi(m[2]);
    if (month == 0 || day < 1 || day > 31) return m.str(0);
    return date_words(month, day, m[3].matched ? std::stoll(m[3]) : -1);
  });
  static const std::regex day_month(R"(\b(\d{1,2})(?:st|nd|rd|th)? )" + month_names +
                                    R"((?: (\d{4}))?\b)");
  text = replace_all(text, day_month, [](const std::smatch& m) {
    const int month = month_from_name(m[2]), day = std::stoi(m[1]);
    if (month == 0 || day < 1 || day > 31) return m.str(0);
    std::string out = "the " + ordinal_words(day) + " of " + kMonths[month - 1];
    if (m[3].matched) out += ", " + year_words(std::stoll(m[3]));
    return out;
  });

  // Decades ("1990s"), before units can read the "s" as seconds.
  static const std::regex decade(R"(\b(1[1-9]|20)(\d)0s\b)");
  text = replace_all(text, decade, [](const std::smatch& m) {
    std::string words = year_words(std::stoll(m[1].str() + m[2].str() + "0"));
    if (words.back() == 'y') return words.substr(0, words.size() - 1) + "ies";
    return words + "s";
  });

  // Times.
  static const std::regex time_of_day(
      R"(\b(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?[Mm](?:\.(?=\s+[a-z]))?(?![A-Za-z]))?)");
  text = replace_all(text, time_of_day, [](const std::smatch& m) {
    const int hour = std::stoi(m[1]), minute = std::stoi(m[2]);
    if (hour > 24 || minute > 59) return m.str(0);
    std::string out = cardinal_words(hour);
    const bool has_meridiem = m[4].matched;
    if (minute == 0) {
      if (!has_meridiem) out += hour <= 12 ? " o'clock" : " hundred";
    } else if (minute < 10) {
      out += " oh " + cardinal_words(minute);
    } else {
      out += " " + cardinal_words(minute);
    }
    if (m[3].matched && std::stoi(m[3]) > 0)
      out += " and " + cardinal_words(std::stoi(m[3])) + " seconds";
    if (has_meridiem) out += (m[4].str() == "a" || m[4].str() == "A") ? " A M" : " P M";
    return out;
  });

  // Currency, with an optional minus and scale word ("$1.5 million").
  static const std::regex currency(R"(([-−])?(\$|€|£|¥)\s?)" + number +
                                   R"((?:\s?(thousand|million|billion|trillion)\b)?)");
  text = replace_all(text, currency, [](const std::smatch& m) {
    for (const Currency& c : kCurrencies) {
      if (m[2] == c.symbol) {
        return std::string(m[1].matched ? "minus " : "") +
               currency_words(c, m[3], m[4].matched ? m[4].str() : "");
      }
    }
    return m.str(0);
  });

  // Symbols that sit between or before numbers.
  static const std::regex plus(R"((\d)\s*\+\s*(\d))");
  text = std::regex_replace(text, plus, "$1 plus $2");
  static const std::regex times(R"((\d)\s*[x×]\s*(\d))");
  text = std::regex_replace(text, times, "$1 times $2");
  static const std::regex approximately(R"((^|\s|\()~\s?(?=\d))");
  text = std::regex_replace(text, approximately, "$1about ");
  static const std::regex hash_number(R"((^|\s)#(\d))");
  text = std::regex_replace(text, hash_number, "$1number $2");

  // Ranges "5-10", before negatives.
  static const std::regex range(R"(\b)" + number + R"(\s?[-–]\s?)" + number + R"(\b)");
  text = replace_all(text, range, [](const std::smatch& m) {
    return number_text_words(m[1]) + " to " + number_text_words(m[2]);
  });

  // Percentages.
  static const std::regex percent(R"(([-−])?)" + number + R"(\s?%)");
  text = replace_all(text, percent, [](const std::smatch& m) {
    return std::string(m[1].matched ? "minus " : "") + number_text_words(m[2]) + " percent";
  });

  // Number + unit.
  static const std::regex with_unit(R"(([-−])?)" + number + R"(\s?()" + unit_alternation() +
                                    R"()(?![A-Za-z0-9]))");
  text = replace_all(text, with_unit, [](const std::smatch& m) {
    const Unit* unit = find_unit(m[3]);
    if (unit == nullptr) return m.str(0);
    return std::string(m[1].matched ? "minus " : "") + number_text_words(m[2]) + " " +
           (is_exactly_one(m[2]) && !m[1].matched ? unit->singular : unit->plural);
  });

  // Ordinals, years after a cue word, fractions.
  static const std::regex ordinal(R"(\b(\d+)(st|nd|rd|th)\b)");
  text = replace_all(text, ordinal, [](const std::smatch& m) {
    int64_t value = 0;
    return parse_integer(m[1], value) ? ordinal_words(value) : m.str(0);
  });
  static const std::regex cued_year(
      R"(\b(in|since|from|by|until|till|year|of|before|after|during|around|circa) (1[1-9]\d\d|20\d\d)\b(?![.,]\d))",
      std::regex::ECMAScript | std::regex::icase);
  text = replace_all(text, cued_year, [](const std::smatch& m) {
    return m[1].str() + " " + year_words(std::stoll(m[2]));
  });
  static const std::regex fraction(R"(\b(\d{1,2})/(\d{1,2})\b)");
  text = replace_all(text, fraction, [](const std::smatch& m) {
    const int numerator = std::stoi(m[1]), denominator = std::stoi(m[2]);
    if (denominator == 2) return cardinal_words(numerator) + (numerator == 1 ? " half" : " halves");
    if (denominator == 4)
      return cardinal_words(numerator) + (numerator == 1 ? " quarter" : " quarters");
    if (denominator >= 3 && denominator <= 10) {
      return cardinal_words(numerator) + " " + ordinal_words(denominator) +
             (numerator == 1 ? "" : "s");
    }
    return cardinal_words(numerator) + " over " + cardinal_words(denominator);
  });

  // Remaining numbers, negative ones first.
  static const std::regex negative(R"((^|[\s(\[])[-−])" + number);
  text = replace_all(text, negative, [](const std::smatch& m) {
    return m[1].str() + "minus " + number_text_words(m[2]);
  });
  static const std::regex plain(number);
  text = replace_all(text, plain, [](const std::smatch& m) { return number_text_words(m[1]); });

  // Acronyms: spell those that are not pronounceable words.
  static const std::regex acronym(R"(\b([A-Z]{2,5})(s?)\b)");
  static const std::regex spelled_always(
      R"(USA|USB|UK|EU|AI|API|CPU|GPU|URL|FBI|CIA|LED|ETA|DIY|ATM|IOU|UFO|CEO|FAQ|PDF|IP|ID|TV|PC|UI|OS|IO|DNA|BBC|CNN|NBA|NFL|AC|DC|USD|EUR|GBP)");
  text = replace_all(text, acronym, [](const std::smatch& m) {
    const std::string word = m[1];
    if (!has_vowel(word) || std::regex_match(word, spelled_always)) {
      return spell_letters(word) + (m[2].matched && !m[2].str().empty() ? "'s" : "");
    }
    return m.str(0);
  });

  // Word symbols.
  static const std::regex ampersand(R"(\s&\s)");
  text = std::regex_replace(text, ampersand, " and ");
  static const std::regex equals(R"(\s=\s)");
  text = std::regex_replace(text, equals, " equals ");
  static const std::regex word_slash(R"(([A-Za-z])/([A-Za-z]))");
  text = std::regex_replace(text, word_slash, "$1 or $2");
  return text;
}

// Runs of more than 18 digits are read digit by digit anyway (parse_integer gives up on them):
// spaced out first, they are single digits to the number patterns, which are quadratic in the
// length of a run.
std::string space_out_long_digit_runs(std::string_view text) {
  constexpr size_t kLongest = 18;
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
    if (j - i > kLongest) {
      for (size_t k = i; k < j; ++k) {
        if (k > i) out += ' ';
        out += text[k];
      }
    } else {
      out.append(text.substr(i, j - i));
    }
    if (j < text.size()) out += text[j];
    i = j + 1;
  }
  return out;
}

}  // namespace

std::string normalize_for_speech(std::string_view input) {
  const std::string spaced = space_out_long_digit_runs(input);
  const std::string_view plain_text = spaced;
  if (plain_text.size() <= kRegexPieceBytes) return normalize_piece(plain_text);
  std::string out;
  for (std::string_view piece : split_bounded(plain_text, kRegexPieceBytes)) {
    if (!out.empty()) out += ' ';
    out += normalize_piece(piece);
  }
  return out;
}

}  // namespace parley::tts
