package softmatch

import (
	"math"
	"testing"

	"ragchat/wordvec"
)

func table(t *testing.T) *wordvec.Table {
	t.Helper()
	tab, err := wordvec.Default()
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func flatIDF(string) float64 { return 1 }

func TestScoreMatchesByMeaning(t *testing.T) {
	tab := table(t)
	q := NewQuery(tab, "How many siblings did Tesla have?", DefaultThreshold, flatIDF)
	family := q.Score(WordIDs(tab, "Nikola Tesla", "", "He had an older brother named Dane and three sisters."))
	patents := q.Score(WordIDs(tab, "Nikola Tesla", "", "Tesla obtained around 300 patents worldwide for his inventions."))
	if family <= patents {
		t.Errorf("brother/sisters passage %.3f, patents passage %.3f: want the first higher", family, patents)
	}
	// Both share "tesla" exactly; only the first has a word close to
	// "siblings" above the threshold, which adds at least the threshold.
	if family < patents+DefaultThreshold {
		t.Errorf("family passage = %.3f, patents passage %.3f: want a difference of at least %.1f", family, patents, DefaultThreshold)
	}
}

func TestScore(t *testing.T) {
	tab := table(t)
	tests := []struct {
		name, query, passage string
		idf                  func(string) float64
		want                 float64 // -1: only check > 0
	}{
		{"same words", "oxygen water", "Water and oxygen.", flatIDF, 2},
		{"weights are the idf", "oxygen football", "oxygen", func(w string) float64 {
			if w == "oxygen" {
				return 3
			}
			return 1
		}, 3},
		{"function words in the question count for nothing", "what is the of", "What is the name of it", flatIDF, 0},
		{"function words in the passage match nothing", "first", "the of and", flatIDF, 0},
		{"unrelated words stay below the threshold", "oxygen", "football tournament", flatIDF, 0},
		{"a Korean question has no words to match", "콩은 곡물에 속하는가?", "곡물은 콩을 포함한다", flatIDF, 0},
		{"case and punctuation do not matter", "OXYGEN!", "(oxygen)", flatIDF, 1},
		{"zero idf drops a word", "oxygen water", "oxygen water", func(w string) float64 {
			if w == "water" {
				return 0
			}
			return 1
		}, 1},
		{"related word", "siblings", "brothers", flatIDF, -1},
		{"empty passage", "oxygen", "", flatIDF, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := NewQuery(tab, tt.query, DefaultThreshold, tt.idf)
			got := q.Score(WordIDs(tab, tt.passage))
			if tt.want < 0 {
				if got <= 0 || got >= 1 {
					t.Errorf("Score = %.3f, want in (0, 1)", got)
				}
				return
			}
			if math.Abs(got-tt.want) > 0.01 {
				t.Errorf("Score = %.3f, want %.3f", got, tt.want)
			}
		})
	}
}

func TestWordIDs(t *testing.T) {
	tab := table(t)
	ids := WordIDs(tab, "The Water", "", "water, the oxygen; zzqxj")
	if len(ids) != 2 {
		t.Fatalf("WordIDs = %v, want 2 distinct content words (water, oxygen)", ids)
	}
	if NewQuery(tab, "", DefaultThreshold, flatIDF).Empty() != true {
		t.Error("a query without words is not Empty")
	}
}

func BenchmarkScore(b *testing.B) {
	tab, err := wordvec.Default()
	if err != nil {
		b.Fatal(err)
	}
	passage := WordIDs(tab, "Nikola Tesla", "", "Tesla was the fourth of five children. He had an older brother named Dane and three sisters, Milka, Angelina and Marica. Dane was killed in a horse-riding accident when Nikola was five. In 1861, Tesla attended the Lower or Primary School in Smiljan where he studied German, arithmetic, and religion.")
	b.ResetTimer()
	for range b.N {
		q := NewQuery(tab, "How many siblings did Tesla have?", DefaultThreshold, flatIDF)
		q.Score(passage)
	}
}
