from django import template

from qa.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str):
    """`{{ question.answer|markdown }}`: safe HTML from Markdown."""
    return render_markdown(text)
