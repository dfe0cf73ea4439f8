"""Messages that want a plain answer, and short correct answers (no tool call).

Each group is (ways to say it, good replies).  The facts are kept simple and true: a jig is
6/8, a reel 4/4, a slip jig 9/8, a strathspey has the Scotch snap, dorian raises minor's 6th.
"""

from __future__ import annotations

_CAN = ("I write melodies in folk styles, continue or vary them, suggest chords, check theory, analyze a tune "
        "and export MIDI, MusicXML or ABC.")
_CAN_ZH = ("我可以写各种民间风格的旋律，续写、变奏，配和弦，检查乐理，分析调性，并导出MIDI、MusicXML或ABC。")

EN_GROUPS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    ((
       "how do i get a midi file into garageband?", "how do I open the MIDI file in Ableton?",
       "can I use the midi file in Logic?", "how do I quantize notes in my DAW?", "how do i import this into my daw",
       "what program opens a musicxml file?", "how do I print the score?", "which DAW should a beginner use?",
     ), (
       "Drag the .mid file from the session folder onto a track in your DAW; MusicXML opens in MuseScore.",
       "Most DAWs import MIDI by dragging the .mid file onto a track. For sheet music, open the MusicXML in MuseScore.",
     )),
    ((
       "hi", "hello", "hey there", "good morning", "hi tunesmith", "hello!", "hey", "good evening",
     ), (
       "Hi! Tell me what tune you'd like, e.g. a jig in D or a sad melody in A minor.",
       "Hello! What shall we write: a melody, chords, or something else?",
       "Hi there. Name a style, key or mood and I'll write a melody.",
     )),
    ((
       "thanks", "thank you", "great, thanks!", "that's lovely", "perfect, thank you", "nice one", "love it, thanks",
       "awesome", "this is great", "cheers",
     ), (
       "You're welcome! Want chords or an export next?", "Glad you like it. I can add chords, vary it or export it.",
       "My pleasure! Say the word if you want a variation or chords.",
     )),
    ((
       "bye", "goodbye", "see you", "that's all for today", "i'm done", "ok bye",
     ), (
       "Goodbye! Your files stay in the session folder.", "Bye! Come back any time to keep working on the song.",
     )),
    ((
       "what can you do?", "help", "what are you?", "how does this work?", "what do you do", "who are you?",
     ), (
       ("I'm tunesmith. I write melodies in folk styles, continue or vary them, suggest chords, check theory, "
        "analyze a tune and export MIDI, MusicXML or ABC."),
       ("I write melodies in folk styles, continue or vary them, suggest chords, check theory, analyze a tune "
        "and export MIDI, MusicXML or ABC. Try: 'write an 8-bar reel in G'."),
     )),
    ((
       "difference between a jig and a reel?", "how is a reel different from a jig",
       "jig or reel, what's the difference?", "explain jig vs reel",
     ), (
       "A jig is in 6/8, with notes in groups of three; a reel is in 4/4 with even running eighth notes.",
       "Jigs bounce in 6/8 (three eighths per beat); reels run in 4/4 with straight eighth notes.",
     )),
    ((
       "what is a slip jig?", "what's a slip jig", "slip jig meaning?",
     ), (
       "A slip jig is an Irish dance tune in 9/8: three beats, each of three eighth notes.",
     )),
    ((
       "what is a hornpipe?", "what's a hornpipe like?", "hornpipe vs reel?",
     ), (
       ("A hornpipe is in 4/4 like a reel but slower, with a dotted, swung rhythm and phrases that end on "
        "three stamped notes."),
     )),
    ((
       "what is a strathspey?", "what makes a strathspey special?",
     ), (
       ("A strathspey is a Scottish dance in 4/4, slower than a reel, known for the Scotch snap: a short note "
        "then a long one."),
     )),
    ((
       "what's an air?", "what is a slow air?",
     ), (
       "An air is a slow, song-like melody with a free, expressive rhythm, often from an old song.",
     )),
    ((
       "what is a Bach chorale?", "what's a chorale?",
     ), (
       "A Bach chorale is a Lutheran hymn tune that Bach set for four voices: soprano, alto, tenor and bass.",
     )),
    ((
       "what is xiaodiao?", "what's a shange?", "what are Chinese folk song types?", "what is haozi?",
     ), (
       ("Han folk songs include xiaodiao (ditties), shange (free mountain songs) and haozi (work songs with "
        "call and response)."),
     )),
    ((
       "what is a pentatonic scale?", "what's pentatonic?",
     ), (
       ("A pentatonic scale has five notes, e.g. C D E G A; much Chinese, Scottish and Irish folk music uses "
        "it."),
     )),
    ((
       "what's the difference between major and minor?", "major vs minor?", "why does minor sound sad?",
     ), (
       ("Major has a major third above the tonic and sounds bright; minor has a minor third and sounds "
        "darker."),
     )),
    ((
       "what is the dorian mode?", "what's dorian?",
     ), (
       ("Dorian is a minor scale with a raised 6th, e.g. D dorian is D E F G A B C: common in Irish and "
        "Scottish tunes."),
     )),
    ((
       "what is mixolydian?", "what's the mixolydian mode?",
     ), (
       ("Mixolydian is a major scale with a lowered 7th, e.g. G mixolydian is G A B C D E F: typical of pipe "
        "tunes."),
     )),
    ((
       "what are parallel fifths?", "why are parallel fifths bad?", "what's wrong with parallel octaves?",
     ), (
       ("Parallel fifths are two voices a perfect fifth apart moving the same way; classical part-writing "
        "avoids them because the voices blend into one."),
     )),
    ((
       "what does 6/8 mean?", "how do you count 6/8?",
     ), (
       ("6/8 has two beats per bar, each a dotted quarter split into three eighth notes: ONE-two-three "
        "FOUR-five-six."),
     )),
    ((
       "what does 3/4 mean?", "what is waltz time?",
     ), (
       "3/4 has three quarter-note beats per bar, with the accent on the first: the waltz meter.",
     )),
    ((
       "what is bpm?", "what does bpm mean?", "what tempo is fast?",
     ), (
       "BPM means beats per minute: 60 is one beat a second; around 120 feels brisk, under 70 slow.",
     )),
    ((
       "what is a relative minor?", "relative minor of C?",
     ), (
       ("A relative minor shares the major key's signature and starts a minor third lower: A minor for C "
        "major."),
     )),
    ((
       "what is a cadence?", "what's a perfect cadence?",
     ), (
       "A cadence is a phrase ending; the perfect cadence goes V to I, e.g. G to C in C major.",
     )),
    ((
       "what are the I IV V chords?", "what is a I-IV-V progression?",
     ), (
       "I, IV and V are the chords on the 1st, 4th and 5th notes of the scale: in C major that's C, F and G.",
     )),
    ((
       "how long is a reel usually?", "how many bars does a jig have?", "how are irish tunes structured?",
     ), (
       "Most Irish dance tunes have two 8-bar parts, each played twice (AABB), 32 bars in all.",
     )),
    ((
       "what key is good for a sad song?", "which key is saddest?",
     ), (
       "Any minor key works; D minor and A minor are popular. Tell me the mood and I'll set it up.",
     )),
    ((
       "how do I load my own file?", "can I use my midi file?", "how do i open a midi file?",
     ), (
       ("Type /load followed by the file path (MIDI, MusicXML or ABC); then I can analyze, harmonize or "
        "continue it."),
     )),
    ((
       "which styles do you know?", "what styles can you write?", "list your styles",
     ), (
       ("Irish jigs, reels, slip jigs, hornpipes and airs, Scottish strathspeys, German, Lorraine and "
        "Luxembourg folk songs, Chinese Han folk songs and Bach chorales."),
     )),
    ((
       "can you play it?", "play the melody", "can i hear it?",
     ), (
       "I can't play sound in the chat, but I can export a WAV or MIDI file for you to play.",
     )),
    ((
       "what's the weather today?", "write me a python script", "book me a flight", "what's the capital of France?",
       "tell me a joke", "translate this email", "what's 17 times 23?", "recommend a movie",
     ), (
       ("Sorry, that's outside what I do. I write melodies in folk styles, continue or vary them, suggest "
        "chords, check theory, analyze a tune and export MIDI, MusicXML or ABC."),
       ("I can't help with that; I'm a songwriting assistant. I write melodies in folk styles, continue or "
        "vary them, suggest chords, check theory, analyze a tune and export MIDI, MusicXML or ABC."),
     )),
    ((
       "can you sing?", "record my voice", "make a full band arrangement", "make an mp3 with drums",
     ), (
       ("I can't record or arrange for a band; I work with single melodies and chords, and export MIDI, "
        "MusicXML, ABC or WAV."),
     )),
    ((
       "make it better", "change it", "fix it", "do the thing", "hmm", "again", "something else", "not like that",
     ), (
       "What should change: a variation, new chords, or rewriting some bars?",
       "Do you want a new melody, a variation, or different chords?",
       "Which part should I change: the key, the tempo, or the ending?",
     )),
    ((
       "write something", "music please", "i want a song",
     ), (
       "Sure! Any style, key or mood in mind? E.g. a jig in D or a calm air in G.",
     )),
    ((
       "ok", "okay", "cool", "got it", "i see",
     ), (
       "Anything else? I can add chords, vary the tune or export it.", "Great. What next?",
     )),
)

ZH_GROUPS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    ((
       "MIDI文件怎么导入库乐队？", "怎么在手机上打开MIDI文件？", "用什么软件打开MusicXML？", "MIDI怎么导进编曲软件",
       "乐谱怎么打印出来？", "新手用什么宿主软件好？",
     ), (
       "把会话文件夹里的.mid文件拖到编曲软件的音轨上就行；MusicXML可以用MuseScore打开和打印。",
     )),
    ((
       "你好", "嗨", "早上好", "哈喽", "你好呀", "晚上好",
     ), (
       "你好！想写什么样的曲子？比如D调的吉格，或者A小调的悲伤旋律。", "你好！要写旋律、配和弦，还是别的？",
     )),
    ((
       "谢谢", "太好了，谢谢！", "很好听", "谢啦", "不错不错", "完美，谢谢", "好听！",
     ), (
       "不客气！接下来要配和弦还是导出？", "很高兴你喜欢。我还可以配和弦、变奏或导出文件。",
     )),
    ((
       "再见", "拜拜", "今天就到这", "先这样吧",
     ), (
       "再见！文件都保存在会话文件夹里。", "拜拜，随时回来继续写。",
     )),
    ((
       "你能做什么？", "帮助", "你是谁？", "怎么用？", "你会干什么",
     ), (
       "我是tunesmith。我可以写各种民间风格的旋律，续写、变奏，配和弦，检查乐理，分析调性，并导出MIDI、MusicXML或ABC。",
       "我可以写各种民间风格的旋律，续写、变奏，配和弦，检查乐理，分析调性，并导出MIDI、MusicXML或ABC。",
     )),
    ((
       "吉格和里尔有什么区别？", "里尔舞曲和吉格舞曲哪里不一样", "吉格跟里尔的区别是什么",
     ), (
       "吉格是6/8拍，每拍三个八分音符；里尔是4/4拍，八分音符平稳流动。",
     )),
    ((
       "什么是滑步吉格？", "滑步吉格是几拍的？",
     ), (
       "滑步吉格是9/8拍的爱尔兰舞曲，每小节三拍，每拍三个八分音符。",
     )),
    ((
       "什么是号笛舞曲？", "号笛舞曲有什么特点？",
     ), (
       "号笛舞曲是4/4拍，比里尔慢，节奏带附点、有摇摆感。",
     )),
    ((
       "斯特拉斯佩是什么？", "什么是苏格兰斯特拉斯佩？",
     ), (
       "斯特拉斯佩是4/4拍的苏格兰舞曲，比里尔慢，特点是先短后长的“苏格兰切分”。",
     )),
    ((
       "什么是众赞歌？", "巴赫众赞歌是什么？",
     ), (
       "众赞歌是路德宗的赞美诗曲调，巴赫把它们写成女高、女低、男高、男低四个声部。",
     )),
    ((
       "山歌和小调有什么区别？", "什么是号子？", "中国民歌有哪些类型？",
     ), (
       "汉族民歌有小调（城镇小曲）、山歌（自由高亢）和号子（一领众和的劳动歌）等。",
     )),
    ((
       "什么是五声音阶？", "五声调式是什么",
     ), (
       "五声音阶有五个音，比如宫商角徵羽（C D E G A），中国民歌常用。",
     )),
    ((
       "大调和小调有什么区别？", "为什么小调听起来悲伤？",
     ), (
       "大调主音上方是大三度，听起来明亮；小调是小三度，听起来更暗。",
     )),
    ((
       "什么是多利亚调式？", "多利亚是什么",
     ), (
       "多利亚是把小调的第六级升高，比如D多利亚就是D E F G A B C。",
     )),
    ((
       "什么是平行五度？", "为什么要避免平行五度？",
     ), (
       "平行五度是两个声部保持纯五度同向进行；古典写法避免它，因为声部会失去独立性。",
     )),
    ((
       "6/8拍怎么数？", "6/8拍是什么意思？",
     ), (
       "6/8拍每小节两大拍，每拍是附点四分音符，分成三个八分音符。",
     )),
    ((
       "3/4拍是什么意思？", "华尔兹是几拍？",
     ), (
       "3/4拍每小节三个四分音符拍，第一拍重，是华尔兹的节拍。",
     )),
    ((
       "bpm是什么意思？", "速度多少算快？",
     ), (
       "bpm是每分钟拍数：60就是每秒一拍，120左右算轻快，70以下算慢。",
     )),
    ((
       "关系小调是什么？", "C大调的关系小调是什么？",
     ), (
       "关系小调和大调调号相同，主音低小三度：C大调的关系小调是A小调。",
     )),
    ((
       "什么是终止式？", "什么是正格终止？",
     ), (
       "终止式是乐句的结尾；正格终止是属到主（V到I），比如C大调里G到C。",
     )),
    ((
       "爱尔兰舞曲一般多少小节？", "吉格一般多长？",
     ), (
       "大多数爱尔兰舞曲有两个8小节的段落，各重复一次（AABB），共32小节。",
     )),
    ((
       "怎么导入我自己的文件？", "能用我的MIDI文件吗？",
     ), (
       "输入 /load 加文件路径（MIDI、MusicXML或ABC），然后我可以分析、配和弦或续写。",
     )),
    ((
       "你会哪些风格？", "支持什么风格？",
     ), (
       "爱尔兰吉格、里尔、号笛舞曲、慢歌，苏格兰斯特拉斯佩，德国、洛林、卢森堡民歌，中国汉族民歌和巴赫众赞歌。",
     )),
    ((
       "能播放吗？", "放给我听听", "我能听一下吗？",
     ), (
       "我没法在聊天里放声音，但可以导出WAV或MIDI文件给你播放。",
     )),
    ((
       "今天天气怎么样？", "帮我写个Python程序", "帮我订机票", "讲个笑话", "翻译这封邮件", "推荐一部电影",
     ), (
       "抱歉，这不在我的能力范围内。我可以写各种民间风格的旋律，续写、变奏，配和弦，检查乐理，分析调性，并导出MIDI、MusicXML或ABC。",
       "这个我帮不上忙，我是写歌助手。我可以写各种民间风格的旋律，续写、变奏，配和弦，检查乐理，分析调性，并导出MIDI、MusicXML或ABC。",
     )),
    ((
       "改一下", "弄好一点", "再来", "不是这样", "换一个", "嗯……",
     ), (
       "想改哪里：做个变奏、换和弦，还是重写几小节？", "你想要新旋律、变奏，还是换和弦？",
     )),
    ((
       "写点东西", "来点音乐", "我想要一首歌",
     ), (
       "好的！有想要的风格、调或情绪吗？比如D调吉格或安静的慢歌。",
     )),
    ((
       "好的", "行", "明白了", "哦哦",
     ), (
       "还需要什么？我可以配和弦、变奏或导出。", "好的，接下来做什么？",
     )),
)

REPLIES = {"en": EN_GROUPS, "zh": ZH_GROUPS}
