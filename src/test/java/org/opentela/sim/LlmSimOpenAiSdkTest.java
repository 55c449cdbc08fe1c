package org.opentela.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The official OpenAI Java SDK talks to the sim directly: every answer parses and validates. */
class LlmSimOpenAiSdkTest {
  private static LlmSim sim;
  private static OpenAIClient client;

  @BeforeAll
  static void start() {
    sim = LlmSim.start(SimSettings.defaults().withPort(0).withModels("sdk-model", "other").withLatency(5, 1)
        .withMaxTokens(8));
    client = OpenAIOkHttpClient.builder().baseUrl(sim.baseUrl()).apiKey("test").maxRetries(0).build();
  }

  @AfterAll
  static void stop() {
    client.close();
    sim.close();
  }

  @Test
  void chatCompletion() {
    ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder()
        .model("sdk-model").addUserMessage("Hello, world!").build());
    c.validate();
    assertEquals("sdk-model", c.model());
    ChatCompletion.Choice choice = c.choices().get(0);
    assertEquals(Words.text(8), choice.message().content().orElseThrow());
    assertEquals(ChatCompletion.Choice.FinishReason.STOP, choice.finishReason());
    assertEquals(8, c.usage().orElseThrow().completionTokens());
  }

  @Test
  void streamingChatCompletion() {
    ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("sdk-model")
        .addUserMessage("Hello").maxCompletionTokens(3)
        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
    StringBuilder text = new StringBuilder();
    List<ChatCompletionChunk> chunks;
    try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
      chunks = stream.stream().toList();
    }
    for (ChatCompletionChunk chunk : chunks) {
      chunk.validate();
      chunk.choices().forEach(ch -> ch.delta().content().ifPresent(text::append));
    }
    assertEquals(Words.text(3), text.toString());
    ChatCompletionChunk finish = chunks.get(chunks.size() - 2);
    assertEquals(ChatCompletionChunk.Choice.FinishReason.LENGTH, finish.choices().get(0).finishReason().orElseThrow());
    ChatCompletionChunk usage = chunks.get(chunks.size() - 1);
    assertTrue(usage.choices().isEmpty());
    assertEquals(3, usage.usage().orElseThrow().completionTokens());
  }

  @Test
  void textCompletion() {
    Completion c = client.completions().create(CompletionCreateParams.builder().model("other")
        .prompt("Once upon a time").maxTokens(2).build());
    c.validate();
    assertEquals("This is", c.choices().get(0).text());
    assertEquals(CompletionChoice.FinishReason.LENGTH, c.choices().get(0).finishReason());
    assertEquals(2, c.usage().orElseThrow().completionTokens());
  }

  @Test
  void modelsList() {
    List<Model> models = client.models().list().data();
    models.forEach(Model::validate);
    assertEquals(List.of("sdk-model", "other"), models.stream().map(Model::id).toList());
    assertEquals("llm-sim", models.get(0).ownedBy());
  }

  @Test
  void unknownModelIsTheSdksNotFoundException() {
    NotFoundException e = assertThrows(NotFoundException.class, () -> client.chat().completions().create(
        ChatCompletionCreateParams.builder().model("nope").addUserMessage("Hi").build()));
    assertEquals(404, e.statusCode());
    assertTrue(e.getMessage().contains("The model `nope` does not exist."), e.getMessage());
  }
}
