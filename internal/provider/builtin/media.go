package builtin

import (
	"fmt"
	"strings"

	"github.com/conversekit/converse/internal/media"
	"github.com/conversekit/converse/internal/wire"
)

// mediaNote describes what the last user turn attaches, read from the real
// bytes (image format and pixel size, PDF page count, byte sizes), so a test
// can see that the attachment arrived intact; "" when nothing is attached.
// Headers only: media.Check has already bounded and verified the bytes.
func mediaNote(msgs []wire.Message) string {
	var last *wire.Message
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == wire.ConversationRoleUser {
			last = &msgs[i]
			break
		}
	}
	if last == nil {
		return ""
	}
	var parts []string
	for _, c := range last.Content {
		switch {
		case c.Image != nil:
			parts = append(parts, describeImage(c.Image))
		case c.Document != nil:
			parts = append(parts, describeDocument(c.Document))
		case c.Video != nil:
			parts = append(parts, describeVideo(c.Video))
		case c.Audio != nil:
			parts = append(parts, describeAudio(c.Audio))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "You attached " + joinAnd(parts) + "."
}

func describeImage(img *wire.ImageBlock) string {
	declared := string(img.Format)
	switch {
	case img.Source == nil:
		return fmt.Sprintf("an image declared as %s without a source", declared)
	case img.Source.S3Location != nil:
		return fmt.Sprintf("%s image stored at %s, which I cannot open", article(strings.ToUpper(declared)), img.Source.S3Location.URI)
	}
	w, h, format, err := media.ImageSize(img.Source.Bytes)
	if err != nil {
		return fmt.Sprintf("an image declared as %s whose header I could not read (%d bytes)", declared, len(img.Source.Bytes))
	}
	return fmt.Sprintf("%s image of %d×%d pixels (%d bytes)", article(strings.ToUpper(format)), w, h, len(img.Source.Bytes))
}

func describeDocument(doc *wire.DocumentBlock) string {
	format := strings.ToUpper(string(doc.Format))
	if format == "" {
		format = "text"
	}
	head := fmt.Sprintf("%s document named %q", article(format), doc.Name)
	s := doc.Source
	switch {
	case s == nil:
		return head + " without a source"
	case s.S3Location != nil:
		return fmt.Sprintf("%s stored at %s, which I cannot open", head, s.S3Location.URI)
	case s.Text != nil:
		return fmt.Sprintf("%s (%d characters)", head, len([]rune(*s.Text)))
	case len(s.Content) > 0:
		n := 0
		for _, c := range s.Content {
			if c.Text != nil {
				n += len([]rune(*c.Text))
			}
		}
		return fmt.Sprintf("%s (%d characters in %d parts)", head, n, len(s.Content))
	}
	if media.Sniff(s.Bytes) == "pdf" {
		return fmt.Sprintf("%s (%d bytes, %s)", head, len(s.Bytes), plural(media.PDFPages(s.Bytes), "page"))
	}
	return fmt.Sprintf("%s (%d bytes)", head, len(s.Bytes))
}

func describeVideo(v *wire.VideoBlock) string {
	format := string(v.Format)
	switch {
	case v.Source == nil:
		return fmt.Sprintf("a video declared as %s without a source", format)
	case v.Source.S3Location != nil:
		return fmt.Sprintf("%s video stored at %s, which I cannot open", article(strings.ToUpper(format)), v.Source.S3Location.URI)
	}
	if s := media.Sniff(v.Source.Bytes); s != "" {
		format = s
	}
	return fmt.Sprintf("%s video of %d bytes", article(strings.ToUpper(format)), len(v.Source.Bytes))
}

func describeAudio(a *wire.AudioBlock) string {
	format := string(a.Format)
	switch {
	case a.Source == nil:
		return fmt.Sprintf("an audio clip declared as %s without a source", format)
	case a.Source.S3Location != nil:
		return fmt.Sprintf("%s audio clip stored at %s, which I cannot open", article(strings.ToUpper(format)), a.Source.S3Location.URI)
	}
	if s := media.Sniff(a.Source.Bytes); s != "" {
		format = s
	}
	return fmt.Sprintf("%s audio clip of %d bytes", article(strings.ToUpper(format)), len(a.Source.Bytes))
}

// article prefixes a format name with "a" or "an" as it is read aloud
// ("an MP4", "a PNG", "an HTML").
func article(word string) string {
	if word == "" {
		return "a"
	}
	if strings.ContainsRune("AEFHILMNORSX", rune(word[0])) && word == strings.ToUpper(word) {
		return "an " + word // spelled out letters: "an F-L-V", "an M-P-4"
	}
	if strings.ContainsRune("aeiouAEIOU", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func joinAnd(parts []string) string {
	switch len(parts) {
	case 1:
		return parts[0]
	case 2:
		return parts[0] + " and " + parts[1]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}
